import type * as Search from "../db/search"
import { nextTurn } from "../jobs/retention"
import { readTranscript, subagentTranscriptPath, subagentTranscripts } from "./read"

/** Text of an entry searched for: a message's text, tool results, summaries; at most 64 KiB. */
export function textOf(entry: unknown): string {
  const out: string[] = []
  let size = 0
  const walk = (v: unknown, key = "") => {
    if (size > 64 * 1024) return
    if (typeof v === "string") {
      if (key === "text" || key === "content" || key === "summary" || key === "thinking") {
        out.push(v)
        size += v.length
      }
    } else if (Array.isArray(v)) for (const x of v) walk(x, key)
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k)
  }
  walk(entry)
  return out.join(" ").slice(0, 64 * 1024)
}

const PAGE = 500

/**
 * Whether an entry is part of the conversation. Claude Code also writes the prompt's queue operations and a
 * last-prompt marker (each prompt would be found three times), attachments it injects (skill and agent
 * listings, the same in every session), and meta messages of its own.
 */
export function isConversation(entry: unknown): boolean {
  if (typeof entry !== "object" || entry === null) return false
  const e = entry as { type?: unknown; isMeta?: unknown }
  return (e.type === "user" || e.type === "assistant" || e.type === "summary") && e.isMeta !== true
}

const running = new Map<string, Promise<unknown>>()

type Progress = { indexed_entries: number; indexed_to: number; total: number }

/**
 * Indexes a session's transcript, then each of its subagents' (Claude Code keeps them beside it), each from
 * where indexing stopped last time, a page per transaction. Calls for the same session run one after the
 * other (each resumes where the last stopped), so nothing is indexed twice.
 */
export function indexTranscript(search: Pick<Search.Store, "transcriptProgress" | "addTranscript">, sessionId: string, path: string) {
  const before = running.get(sessionId) ?? Promise.resolve()
  const run = before
    .catch(() => {})
    .then(async () => {
      const own = await indexFrom(search, sessionId, "", path)
      const subagents: (Progress & { agent_id: string })[] = []
      for (const { agent_id } of subagentTranscripts(path))
        subagents.push({ agent_id, ...(await indexFrom(search, sessionId, agent_id, subagentTranscriptPath(path, agent_id))) })
      return { ...own, subagents }
    })
  running.set(sessionId, run)
  void run.catch(() => {}).finally(() => running.get(sessionId) === run && running.delete(sessionId))
  return run
}

async function indexFrom(
  search: Pick<Search.Store, "transcriptProgress" | "addTranscript">,
  sessionId: string,
  agentId: string,
  path: string,
): Promise<Progress> {
  let cursor = search.transcriptProgress(sessionId, agentId)?.indexed_to ?? 0
  let added = 0
  for (;;) {
    const page = readTranscript(path, cursor, PAGE)
    const texts = page.entries
      .flatMap((e) => ("entry" in e && isConversation(e.entry) ? [{ offset: e.offset, body: textOf(e.entry) }] : []))
      .filter((t) => t.body.trim())
    search.addTranscript(sessionId, agentId, texts, page.next_cursor)
    added += texts.length
    cursor = page.next_cursor
    if (page.done || page.entries.length === 0) break
    await nextTurn()
  }
  return { indexed_entries: added, indexed_to: cursor, total: search.transcriptProgress(sessionId, agentId)?.entries ?? 0 }
}
