// A mock of the Anthropic Messages API (streaming, as Claude Code asks) for driving the real Claude Code CLI
// offline, scripted by markers in the prompt (after ../shared/tools/mock-anthropic.mjs, which has no MCP case):
//   - the last message holds a tool_result         -> text "Tool said: <result>. Done."
//   - MCP-SEND-MARKER and the hive MCP tool offered -> tool_use mcp__hive__send_message {to, body} from the marker line
//   - BASH-MARKER and the Bash tool offered          -> tool_use Bash {"command": "echo hello-from-tool"}
//   - WRITE-MARKER path=FILE and Write offered       -> tool_use Write of 1.2 MB into FILE (a big hook input)
//   - PERMISSION-MARKER and the Bash tool offered    -> tool_use Bash {"command": "touch made-by-tool && echo ..."}
//                                                      (a command Claude Code does not allow by itself);
//                                                      PERMISSION-MARKER file=NAME touches NAME instead
//   - anything else (titles, quota checks, ...)     -> text "ok"
// Every request is kept, so a test can see what Claude Code offered and sent.

type Block = { type: string; text?: string; content?: unknown }
type Body = { model?: string; stream?: boolean; tools?: { name: string }[]; messages?: { role: string; content: string | Block[] }[] }

function texts(body: Body): string {
  return (body.messages ?? [])
    .filter((m) => m.role === "user")
    .flatMap((m) => (typeof m.content === "string" ? [m.content] : m.content.map((b) => b.text ?? "")))
    .join("\n")
}

/** The last user message's text: in an interactive session every earlier prompt is in the messages too. */
function lastPrompt(body: Body): string {
  const last = body.messages?.filter((m) => m.role === "user").at(-1)
  if (!last) return ""
  return typeof last.content === "string" ? last.content : last.content.map((b) => b.text ?? "").join("\n")
}

function toolResult(body: Body): string | null {
  const last = body.messages?.at(-1)
  if (!last || typeof last.content === "string") return null
  const result = last.content.find((b) => b.type === "tool_result")
  if (!result) return null
  const c = result.content
  return typeof c === "string" ? c : Array.isArray(c) ? c.map((b: Block) => b.text ?? "").join("") : ""
}

type Decision = { kind: "text"; text: string } | { kind: "tool_use"; name: string; input: unknown }

function decide(body: Body): Decision {
  const result = toolResult(body)
  if (result !== null) return { kind: "text", text: `Tool said: ${result.trim()}. Done.` }
  const marker = /MCP-SEND-MARKER to=(\S+) body=(.+)/.exec(texts(body))
  if (marker && body.tools?.some((t) => t.name === "mcp__hive__send_message"))
    return { kind: "tool_use", name: "mcp__hive__send_message", input: { to: marker[1], body: marker[2]!.trim() } }
  const permission = /PERMISSION-MARKER(?: file=(\S+))?/.exec(lastPrompt(body))
  if (permission && body.tools?.some((t) => t.name === "Bash"))
    return {
      kind: "tool_use",
      name: "Bash",
      input: { command: `touch ${permission[1] ?? "made-by-tool"} && echo hello-from-tool`, description: "Make a file" },
    }
  const write = /WRITE-MARKER path=(\S+)/.exec(lastPrompt(body))
  if (write && body.tools?.some((t) => t.name === "Write"))
    return { kind: "tool_use", name: "Write", input: { file_path: write[1], content: `${"x".repeat(99)}\n`.repeat(12_000) } }
  if (texts(body).includes("BASH-MARKER") && body.tools?.some((t) => t.name === "Bash"))
    return { kind: "tool_use", name: "Bash", input: { command: "echo hello-from-tool", description: "Print a greeting" } }
  return { kind: "text", text: "ok" }
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

export function startMockAnthropic() {
  const requests: Body[] = []
  let seq = 0
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname
      if (req.method === "POST" && path === "/v1/messages/count_tokens") return Response.json({ input_tokens: 42 })
      if (req.method !== "POST" || path !== "/v1/messages") return Response.json({})
      const body = (await req.json()) as Body
      requests.push(body)
      const id = ++seq
      const d = decide(body)
      const block = d.kind === "tool_use" ? { type: "tool_use", id: `toolu_mock_${id}`, name: d.name, input: d.input } : { type: "text", text: d.text }
      const stop = d.kind === "tool_use" ? "tool_use" : "end_turn"
      const usage = { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
      const message = { id: `msg_mock_${id}`, type: "message", role: "assistant", model: body.model ?? "claude-mock", stop_sequence: null }
      if (!body.stream) return Response.json({ ...message, content: [block], stop_reason: stop, usage })
      const delta =
        d.kind === "tool_use"
          ? { type: "input_json_delta", partial_json: JSON.stringify(d.input) }
          : { type: "text_delta", text: (block as { text: string }).text }
      const start = d.kind === "tool_use" ? { ...block, input: {} } : { type: "text", text: "" }
      const stream =
        sse("message_start", { type: "message_start", message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }) +
        sse("content_block_start", { type: "content_block_start", index: 0, content_block: start }) +
        sse("content_block_delta", { type: "content_block_delta", index: 0, delta }) +
        sse("content_block_stop", { type: "content_block_stop", index: 0 }) +
        sse("message_delta", { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } }) +
        sse("message_stop", { type: "message_stop" })
      return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) }
}
