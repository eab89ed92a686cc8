import * as Config from "../config"
import { UsageError } from "../errors"
import { HOME_OPTION, noExtra, out, parse } from "./args"
import { runningServer } from "./server-lock"

export const help = `Usage: hive mcp [--home DIR]

  hive's broker as MCP tools for one agent, over stdio (JSON-RPC on stdin and stdout; logs on stderr):
  send_message, read_inbox, ack_inbox, ask_question, answer_question, request_approval, claim_command,
  ack_command, post_event, record_turn, search, list_agents.

  For Claude Code:
    hive token create --agent alice                                  # prints alice's token
    claude mcp add hive --env HIVE_TOKEN=<the token> -- hive mcp

  It talks to the hive serve of its data home (found through $HIVE_HOME/serve.pid), or to HIVE_URL; each tool
  call that finds no server says so instead of failing the agent's session.

Environment:
  HIVE_TOKEN    an agent token (hive token create --agent NAME); required
  HIVE_URL      the server, e.g. http://127.0.0.1:7420 (default: the one serving HIVE_HOME)
  HIVE_MCP_PROGRESS  how often a waiting tool (ask_question, request_approval) reports progress (default 15s)

Options:
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help`

/** The agent an agent token names (read, not verified: the server verifies it on every call). */
function agentOf(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { scope?: unknown; agent?: unknown }
    return claims.scope === "agent" && typeof claims.agent === "string" ? claims.agent : undefined
  } catch {
    return undefined
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive mcp", argv, { ...HOME_OPTION })
  if (values.help) return (out(help), 0)
  noExtra("hive mcp", positionals)
  const config = Config.load({ home: values.home })
  if (!config.token) throw new UsageError("hive mcp: set HIVE_TOKEN to an agent's token (hive token create --agent NAME)")
  const agent = agentOf(config.token)
  if (!agent) throw new UsageError("hive mcp: HIVE_TOKEN is not an agent's token; make one with `hive token create --agent NAME`")
  const base = () => config.serverUrl ?? runningServer(config.home)?.url
  const fetcher = ((input: string | URL, init?: RequestInit) => {
    const url = base()
    if (!url) return Promise.reject(new Error(`no hive server is running for ${config.home} (start it with \`hive serve\`, or set HIVE_URL)`))
    return fetch(String(input).replace(/^http:\/\/hive/, url), init)
  }) as typeof fetch

  // Loaded here only: the SDK is for this command and /mcp, never for a server's start-up.
  const [{ StdioServerTransport }, { adminClient }, { agentMcpServer }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("../client"),
    import("../mcp/server"),
  ])
  const server = agentMcpServer(adminClient("http://hive", config.token, { fetcher }).api, agent, config.version, config.mcpProgressMs)
  // A bug in one call must not end the agent's tools: say so on stderr and keep serving.
  process.on("uncaughtException", (err) => console.error(`hive mcp: ${err.stack ?? err}`))
  process.on("unhandledRejection", (err) => console.error(`hive mcp: ${(err as Error)?.stack ?? err}`))
  const closed = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve)
    process.stdin.once("close", resolve)
  })
  await server.connect(new StdioServerTransport())
  server.server.onclose = () => process.stdin.destroy()
  await closed
  await server.close()
  return 0
}
