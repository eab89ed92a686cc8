import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs"
import { join } from "node:path"
import { HiveError, notFound, badRequest } from "../errors"

export type Entry = { offset: number; entry: unknown } | { offset: number; error: string; raw: string }
export type Page = { entries: Entry[]; next_cursor: number; size: number; done: boolean }

const CHUNK = 64 * 1024
/** A single JSONL line longer than this is reported in place instead of being held in memory. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024

/** Claude Code's folder for a working directory: every character other than a letter or digit becomes "-". */
export const encodeCwd = (cwd: string) => cwd.replace(/[^A-Za-z0-9]/g, "-")

/** Where a session's transcript is: the path the hook recorded, else Claude Code's default location. */
export function transcriptPath(
  session: { id: string; transcript_path: string | null; cwd: string | null; agent_session_id: string | null },
  claudeDir: string,
): string {
  if (session.transcript_path) return session.transcript_path
  if (!session.cwd || !session.agent_session_id) throw notFound("transcript of session", session.id)
  return join(claudeDir, "projects", encodeCwd(session.cwd), `${session.agent_session_id}.jsonl`)
}

/** A subagent's id as Claude Code names its transcript (`agent-<id>.jsonl`): never a path. */
export const AGENT_ID = "^[A-Za-z0-9_-]{1,128}$"

/** Where Claude Code keeps the transcripts of a session's subagents: `<session>/subagents/` beside its own. */
export const subagentsDir = (transcript: string) => join(transcript.replace(/\.jsonl$/, ""), "subagents")

/** A subagent's transcript, by its agent id (SubagentStop's `agent_id`). */
export function subagentTranscriptPath(transcript: string, agentId: string): string {
  if (!new RegExp(AGENT_ID).test(agentId)) throw badRequest('query field "agent": an agent id such as ad628a2ab2326fc1c')
  return join(subagentsDir(transcript), `agent-${agentId}.jsonl`)
}

/** The subagents whose transcripts a session has, with their sizes, newest last. */
export function subagentTranscripts(transcript: string): { agent_id: string; bytes: number; modified_at: number }[] {
  let names: string[]
  try {
    names = readdirSync(subagentsDir(transcript))
  } catch {
    return []
  }
  return names
    .flatMap((name) => {
      const m = /^agent-([A-Za-z0-9_-]{1,128})\.jsonl$/.exec(name)
      if (!m) return []
      const st = statSync(join(subagentsDir(transcript), name))
      return st.isFile() ? [{ agent_id: m[1]!, bytes: st.size, modified_at: Math.round(st.mtimeMs) }] : []
    })
    .sort((a, b) => a.modified_at - b.modified_at || a.agent_id.localeCompare(b.agent_id))
}

/**
 * Up to `limit` entries of a JSONL file from byte `cursor`, reading 64 KiB at a time (never the whole file).
 * A line that is not JSON is reported where it stands; a last line without its newline is left for the
 * next call (Claude Code may be writing it). The next cursor is the byte after the last line returned.
 */
export function readTranscript(path: string, cursor: number, limit: number): Page {
  const { fd, size } = openTranscript(path)
  try {
    if (cursor > size) throw badRequest(`cursor ${cursor} is past the end of the transcript (${size} bytes)`)
    const entries: Entry[] = []
    const decoder = new TextDecoder()
    const buf = new Uint8Array(CHUNK)
    let pending: Uint8Array[] = [] // the current line's bytes so far
    let pendingBytes = 0
    let lineStart = cursor
    let position = cursor
    let tooLong = false
    while (entries.length < limit && position < size) {
      const n = readSync(fd, buf, 0, CHUNK, position)
      if (n === 0) break
      let from = 0
      for (let i = 0; i < n && entries.length < limit; i++) {
        if (buf[i] !== 0x0a) continue
        const tail = buf.subarray(from, i)
        const end = position + i + 1
        if (tooLong || pendingBytes + tail.byteLength > MAX_LINE_BYTES)
          entries.push({ offset: lineStart, error: `line longer than ${MAX_LINE_BYTES} bytes`, raw: "" })
        else {
          const text = decoder.decode(pendingBytes ? Buffer.concat([...pending, tail]) : tail)
          if (text.trim()) entries.push(parse(lineStart, text))
        }
        pending = []
        pendingBytes = 0
        tooLong = false
        lineStart = end
        from = i + 1
      }
      if (entries.length >= limit) break
      if (!tooLong) {
        const rest = buf.slice(from, n)
        pendingBytes += rest.byteLength
        if (pendingBytes > MAX_LINE_BYTES) {
          tooLong = true
          pending = []
        } else pending.push(rest)
      }
      position += n
    }
    return { entries, next_cursor: lineStart, size, done: lineStart >= size }
  } finally {
    closeSync(fd)
  }
}

/**
 * Where to read a transcript's last `bytes` from: the start of the first whole line at or after that point
 * (0 for a shorter file), so a page shows what happened lately without reading the whole file.
 */
export function tailCursor(path: string, bytes: number): number {
  const { fd, size } = openTranscript(path)
  try {
    if (size <= bytes) return 0
    const buf = new Uint8Array(CHUNK)
    // From one byte before: a line that starts exactly there is kept.
    for (let position = size - bytes - 1; position < size; position += CHUNK) {
      const n = readSync(fd, buf, 0, CHUNK, position)
      const at = buf.subarray(0, n).indexOf(0x0a)
      if (at !== -1) return position + at + 1
      if (n === 0) break
    }
    return size
  } finally {
    closeSync(fd)
  }
}

/**
 * A transcript opened for reading, or the 4xx that says why not: a session's transcript_path is whatever
 * its hook or the API recorded, so it may name no file, a folder, or something that is no transcript.
 */
function openTranscript(path: string): { fd: number; size: number } {
  if (!path.endsWith(".jsonl")) throw badRequest("a transcript is a .jsonl file")
  try {
    const st = statSync(path)
    if (st.isFile()) return { fd: openSync(path, "r"), size: st.size }
  } catch {}
  throw new HiveError(404, "not_found", `transcript file ${path} not found`)
}

function parse(offset: number, text: string): Entry {
  try {
    return { offset, entry: JSON.parse(text) }
  } catch (err) {
    return { offset, error: `not JSON: ${(err as Error).message}`, raw: text.slice(0, 200) }
  }
}
