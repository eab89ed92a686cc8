import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { type AgentApi, registerTools } from "./tools"

const INSTRUCTIONS = `hive is the broker of your agent fleet. Use it to talk to other agents and to the human operator:
- read_inbox at the start of a task and whenever you wait; ack_inbox what you handled.
- ask_question when you need a decision or information you cannot find yourself; it waits for the answer.
- request_approval before anything irreversible or outside your task (a deploy, a push, deleting data); it waits for the decision.
- post_event for milestones and failures, so the operator can follow along.`

/** hive's MCP server for one agent, over the given API client (stdio: a running server; HTTP: the app itself). */
export function agentMcpServer(api: AgentApi, agent: string, version: string, progressMs: number): McpServer {
  const server = new McpServer({ name: "hive", version }, { instructions: INSTRUCTIONS, capabilities: { tools: {} } })
  registerTools(server, api, agent, progressMs)
  return server
}
