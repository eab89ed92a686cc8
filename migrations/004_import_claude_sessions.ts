import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { Migration } from "../src/db/migrate"
import { describeSource, importSource, LegacyFormatError, type Source } from "../src/legacy/import"
import { childOf, duplicateKeys, entry as checked, isObject, millis, optional, parseJson } from "../src/legacy/json"

// Claude-Code-Remote's session registry (seed 003): data/claude-sessions.json, { "sessions": { "<id>": {...} } }.
// The legacy id is Claude Code's session id, so it becomes the row's agent_session_id.
type Entry = {
  id: string
  pid: number | null
  ppid: number | null
  start_time: number | null
  cwd: string | null
  label: string | null
  notify: boolean
  transport_kind: string
  transport_details: Record<string, unknown>
  state: string
  created_at: number | null
  updated_at: number | null
  expires_at: number | null
}

const KINDS = new Set(["tmux", "nvim", "pty", "unknown"])

function entry(id: string, raw: unknown): Entry {
  return checked(`entry "${id}"`, () => {
    if (!isObject(raw)) throw new LegacyFormatError("must be an object")
    const transport = raw.transport ?? {}
    if (!isObject(transport)) throw new LegacyFormatError('"transport" must be an object')
    const kind = optional<string>(transport.kind, "transport.kind", "string") ?? "unknown"
    const details = transport.details ?? {}
    if (!isObject(details)) throw new LegacyFormatError('"transport.details" must be an object')
    return {
      id,
      pid: optional(raw.pid, "pid", "number"),
      ppid: optional(raw.ppid, "ppid", "number"),
      start_time: optional(raw.start_time, "start_time", "number"),
      cwd: optional(raw.cwd, "cwd", "string"),
      label: optional(raw.label, "label", "string"),
      notify: optional<boolean>(raw.notify, "notify", "boolean") ?? false,
      // A transport hive does not know is kept as "unknown", with the original kind preserved in details.
      transport_kind: KINDS.has(kind) ? kind : "unknown",
      transport_details: KINDS.has(kind) ? details : { ...details, legacy_kind: kind },
      state: optional<string>(raw.state, "state", "string") ?? "active",
      created_at: millis(raw.created_at, "created_at"),
      updated_at: millis(raw.updated_at, "updated_at"),
      expires_at: millis(raw.expires_at, "expires_at"),
    }
  })
}

export function source(db: Database | undefined, legacy: LegacyPaths, now = Date.now): Source<Entry> {
  return {
    path: join(legacy.ccrDir, "data", "claude-sessions.json"),
    what: "Claude-Code-Remote session registry",
    parse(bytes) {
      const { value, tree } = parseJson(bytes)
      if (!isObject(value) || !isObject(value.sessions)) throw new LegacyFormatError('must be an object of the form { "sessions": { "<id>": { ... } } }')
      return { entries: Object.entries(value.sessions).map(([id, raw]) => entry(id, raw)), duplicates: duplicateKeys(childOf(tree, "sessions")) }
    },
    key: (e) => e.id,
    insert(e) {
      const t = now()
      const changes = db!
        .query(
          `INSERT INTO sessions (id, agent_session_id, name, pid, ppid, start_time, cwd, label, notify, transport_kind, transport_details, state, created_at, updated_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_session_id) DO NOTHING`,
        )
        .run(
          Bun.randomUUIDv7(),
          e.id,
          e.label ?? "",
          e.pid,
          e.ppid,
          e.start_time,
          e.cwd,
          e.label,
          e.notify ? 1 : 0,
          e.transport_kind,
          JSON.stringify(e.transport_details),
          e.state,
          e.created_at ?? t,
          e.updated_at ?? e.created_at ?? t,
          e.expires_at,
        ).changes
      // A session already registered (by a hook since) is newer than the file: the row is kept as it is.
      return changes ? "inserted" : "same"
    },
    check: (e) => (db!.query("SELECT 1 FROM sessions WHERE agent_session_id = ?").get(e.id) ? "same" : "absent"),
  }
}

export default {
  name: "import_claude_sessions",
  up: (ctx) => importSource(ctx, source(ctx.db, ctx.env.legacy, ctx.env.now)),
  describe: (env) => [describeSource(source(undefined, env.legacy))],
} satisfies Migration
