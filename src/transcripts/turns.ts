import { readTranscript, tailCursor } from "./read"

/** One turn of a Claude Code session: a prompt and everything the model did until the next one. */
export type Turn = {
  offset: number
  prompt: string
  started_at: number | null
  ended_at: number | null
  duration_ms: number | null
  models: string[]
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
  tool_calls: number
  tools: Record<string, number>
}
export type TurnTotals = Omit<Turn, "offset" | "prompt" | "started_at" | "ended_at" | "duration_ms" | "models"> & { turns: number; duration_ms: number }
export type TurnsReport = { items: Turn[]; totals: TurnTotals; from_offset: number; size: number }

/** How much of a transcript's end the turn stats read: a session of weeks is not parsed whole for one page. */
export const TURN_WINDOW_BYTES = 32 * 1024 * 1024

type Block = { type?: unknown; name?: unknown }
type Line = {
  type?: unknown
  isMeta?: unknown
  timestamp?: unknown
  message?: { id?: unknown; model?: unknown; content?: unknown; usage?: Record<string, unknown> }
}

/** Tokens and tool calls before any are counted (tools without a prototype: see below). */
const noCounts = () => ({
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_creation_tokens: 0,
  tool_calls: 0,
  tools: Object.create(null) as Record<string, number>,
})

const count = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0)
const time = (v: unknown) => (typeof v === "string" && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null)

// Tool names come from the file: the counts are kept in objects without a prototype, so "__proto__" is a name.
// A prompt is a user line of the person's text: not a tool's result (also a "user" line), not a meta line.
function promptOf(line: Line): string | null {
  if (line.type !== "user" || line.isMeta === true) return null
  const content = line.message?.content
  if (typeof content === "string") return content
  if (!Array.isArray(content) || content.some((c: Block) => c?.type === "tool_result")) return null
  const text = content.filter((c: Block & { text?: unknown }) => c?.type === "text" && typeof c.text === "string").map((c: { text: string }) => c.text)
  return text.length ? text.join("\n") : null
}

/**
 * The turns of a transcript (the last TURN_WINDOW_BYTES of it, a page at a time), from what Claude Code wrote: tokens from each
 * model message's usage (a message written over several lines is counted once, by its id), tool calls by name,
 * and each turn's time from its prompt to its last line.
 */
export async function transcriptTurns(path: string): Promise<TurnsReport> {
  const from = tailCursor(path, TURN_WINDOW_BYTES)
  const items: Turn[] = []
  const seen = new Set<string>()
  let current: Turn | undefined
  let cursor = from
  let size = 0
  for (;;) {
    const page = readTranscript(path, cursor, 2000)
    size = page.size
    for (const entry of page.entries) {
      if (!("entry" in entry) || typeof entry.entry !== "object" || entry.entry === null) continue
      const line = entry.entry as Line
      const at = time(line.timestamp)
      const prompt = promptOf(line)
      if (prompt !== null) {
        current = {
          offset: entry.offset,
          prompt: prompt.slice(0, 200),
          started_at: at,
          ended_at: at,
          duration_ms: 0,
          models: [],
          ...noCounts(),
        }
        items.push(current)
        continue
      }
      if (!current || (line.type !== "assistant" && line.type !== "user")) continue
      if (at !== null) {
        current.ended_at = at
        current.duration_ms = current.started_at === null ? null : Math.max(0, at - current.started_at)
      }
      if (line.type !== "assistant") continue
      const message = line.message ?? {}
      if (typeof message.model === "string" && !current.models.includes(message.model) && current.models.length < 10) current.models.push(message.model)
      const id = typeof message.id === "string" ? message.id : undefined
      if (message.usage && (id === undefined || !seen.has(id))) {
        if (id !== undefined) seen.add(id)
        current.input_tokens += count(message.usage.input_tokens)
        current.output_tokens += count(message.usage.output_tokens)
        current.cache_read_tokens += count(message.usage.cache_read_input_tokens)
        current.cache_creation_tokens += count(message.usage.cache_creation_input_tokens)
      }
      if (Array.isArray(message.content))
        for (const block of message.content as Block[]) {
          if (block?.type !== "tool_use") continue
          const name = typeof block.name === "string" ? block.name.slice(0, 200) : "unknown"
          current.tool_calls++
          // A hostile transcript may name a thousand tools: the first 50 are kept by name.
          if (name in current.tools || Object.keys(current.tools).length < 50) current.tools[name] = (current.tools[name] ?? 0) + 1
        }
    }
    if (page.done || page.entries.length === 0) break
    cursor = page.next_cursor
    // Up to 32 MiB is read on the server's thread: requests queued meanwhile are answered between pages.
    await new Promise((resolve) => setImmediate(resolve))
  }
  const totals: TurnTotals = { turns: items.length, duration_ms: 0, ...noCounts() }
  for (const t of items) {
    totals.duration_ms += t.duration_ms ?? 0
    totals.input_tokens += t.input_tokens
    totals.output_tokens += t.output_tokens
    totals.cache_read_tokens += t.cache_read_tokens
    totals.cache_creation_tokens += t.cache_creation_tokens
    totals.tool_calls += t.tool_calls
    for (const [name, n] of Object.entries(t.tools)) totals.tools[name] = (totals.tools[name] ?? 0) + n
  }
  return { items, totals, from_offset: from, size }
}
