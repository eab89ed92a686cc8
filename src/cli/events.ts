import * as Config from "../config"
import { FatalError, UsageError } from "../errors"
import { HOME_OPTION, err, noExtra, out, pageLimit, parse, table, timestamp } from "./args"
import { call, connect, remoteEnvironment, type Remote } from "./remote"

export const help = `Usage: hive events [--session ID] [--kind K] [--agent NAME] [--tool NAME] [--cursor C] [--limit N] [--json]
       hive events --follow [--session ID] [--kind K] [--agent NAME] [--tool NAME] [--cursor C] [--json]

Lists the running server's events, oldest first, from --cursor (the oldest kept, by default), a page at a
time; the last line says how to see the next page. With --follow, prints each new event as it happens
(after --cursor, if given, so nothing since is missed) until interrupted, reconnecting by itself.

Options:
  --session ID   one session's
  --kind K       one kind (e.g. PreToolUse, Stop)
  --agent NAME   one agent's
  --tool NAME    one tool's (a hook's tool_name, e.g. Bash)
  --cursor C     after event C
  --limit N      at most N (default 50, at most 500; not with --follow)
  --follow       stream new events (GET /api/events/stream)
  --json         the page as the API answers it (GET /api/events); with --follow, one event per line
  --home DIR     data home (default ~/.hive, env HIVE_HOME)
  -h, --help     show this help

${remoteEnvironment("admin or read")}`

type Event = { id: number; ts: number; kind: string; agent: string | null; session_id: string | null; tool_name: string | null; payload: unknown }

const RETRY_MS = [250, 500, 1000, 2000, 5000]

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive events", argv, {
    ...HOME_OPTION,
    session: { type: "string" },
    kind: { type: "string" },
    agent: { type: "string" },
    tool: { type: "string" },
    cursor: { type: "string" },
    limit: { type: "string" },
    follow: { type: "boolean", short: "f" },
    json: { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  noExtra("hive events", positionals)
  if (values.cursor !== undefined && !/^\d{1,15}$/.test(values.cursor))
    throw new UsageError(`hive events: --cursor must be an event id, got "${values.cursor}"`)
  if (values.follow && values.limit !== undefined) throw new UsageError("hive events: --limit is for a page, not --follow")
  const limit = pageLimit("hive events", values.limit)
  const filter = {
    ...(values.session ? { session_id: values.session } : {}),
    ...(values.kind ? { kind: values.kind } : {}),
    ...(values.agent ? { agent: values.agent } : {}),
    ...(values.tool ? { tool_name: values.tool } : {}),
  }
  const remote = await connect("hive events", Config.load({ home: values.home }))
  const cursor = values.cursor === undefined ? undefined : Number(values.cursor)
  if (values.follow) return follow(remote, filter, cursor, values.json ?? false)

  const page = await call("hive events", remote.url, () => remote.api.events.get({ query: { ...filter, limit, cursor: cursor ?? 0 } }))
  if (values.json) return (out(JSON.stringify(page, null, 2)), 0)
  if (page.items.length === 0 && !page.next_cursor) return (out("no events match"), 0)
  if (page.items.length) out(table(["ID", "TIME", "KIND", "SESSION", "AGENT", "TOOL"], page.items.map(row)))
  if (page.next_cursor) out(`more: hive events --cursor ${page.next_cursor}${values.limit ? ` --limit ${limit}` : ""}`)
  return 0
}

const row = (e: Event) => [e.id, timestamp(e.ts), e.kind, e.session_id, e.agent, e.tool_name]
const line = (e: Event) =>
  row(e)
    .map((c) => c ?? "-")
    .join("  ")

/** Reads the SSE stream, resuming after the last event seen whenever it drops; ends only on a refusal. */
async function follow(remote: Remote, filter: Record<string, string>, since: number | undefined, json: boolean): Promise<number> {
  let last = since
  let failures = 0
  for (;;) {
    const params = new URLSearchParams(filter)
    const headers: Record<string, string> = { authorization: `Bearer ${remote.token}`, accept: "text/event-stream" }
    if (last !== undefined) headers["last-event-id"] = String(last)
    let res: Response
    try {
      res = await fetch(`${remote.url.replace(/\/$/, "")}/api/events/stream?${params}`, { headers })
    } catch (e) {
      await retry(++failures, `hive at ${remote.url} did not answer (${(e as Error).message})`)
      continue
    }
    if (res.status === 401 || res.status === 403 || res.status === 400) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null
      throw new FatalError(`hive events: the server refused the stream (${res.status}: ${body?.error?.message ?? res.statusText})`)
    }
    if (!res.ok || !res.body) {
      await retry(++failures, `the stream answered ${res.status}`)
      continue
    }
    failures = 0
    const ended = await read(res.body, (e) => {
      last = e.id
      out(json ? JSON.stringify(e) : line(e))
    })
    if (ended === "unauthorized") throw new FatalError("hive events: HIVE_TOKEN was revoked or has expired; the stream ended")
    await retry(1, "the stream ended")
  }
}

async function retry(failures: number, why: string) {
  const ms = RETRY_MS[Math.min(failures, RETRY_MS.length) - 1]!
  err(`hive events: ${why}; reconnecting in ${ms} ms`)
  await Bun.sleep(ms)
}

/** Calls `onEvent` for each event frame; answers how the stream ended. */
async function read(body: ReadableStream<Uint8Array>, onEvent: (e: Event) => void): Promise<"closed" | "unauthorized"> {
  const decoder = new TextDecoder()
  let buffer = ""
  try {
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true })
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let name = "message"
        let data = ""
        for (const l of frame.split("\n")) {
          if (l.startsWith("event:")) name = l.slice(6).trim()
          else if (l.startsWith("data:")) data += l.slice(5).trimStart()
        }
        if (name === "unauthorized") return "unauthorized"
        if (name === "message" && data) onEvent(JSON.parse(data) as Event)
      }
    }
  } catch {
    // A dropped connection: the caller reconnects from the last event.
  }
  return "closed"
}
