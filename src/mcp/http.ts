import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
import pkg from "../../package.json"
import { adminClient } from "../client"
import type { McpHandler } from "../hive"
import { agentMcpServer } from "./server"

/**
 * One MCP request over streamable HTTP, stateless: a server and transport per request, whose tools call the
 * admin app in process with the caller's own token (the same checks as any REST call).
 */
export const serveMcp: McpHandler = async ({ request, body, agent, authorization, handle, progressMs }) => {
  const token = authorization.replace(/^Bearer +/i, "")
  const api = adminClient("http://localhost", token, {
    fetcher: ((input: string | URL, init?: RequestInit) => handle(new Request(String(input), init))) as typeof fetch,
  }).api
  const server = agentMcpServer(api, agent, pkg.version, progressMs)
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined })
  await server.connect(transport)
  // Ends the tools' waits when the client goes away.
  request.signal.addEventListener("abort", () => void server.close(), { once: true })
  return transport.handleRequest(request, { parsedBody: body })
}
