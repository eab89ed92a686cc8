import type { Database } from "bun:sqlite"
import { entity, type ListOptions } from "./entity"

export const STATUSES = ["idle", "running", "awaiting_input", "error"] as const
export const ACTION_TYPES = ["research", "plan", "implement", "freeform"] as const
export const TRANSPORTS = ["tmux", "nvim", "pty", "unknown"] as const

export type Session = {
  id: string
  project_id: string | null
  agent_session_id: string | null
  name: string
  action_type: (typeof ACTION_TYPES)[number] | null
  status: (typeof STATUSES)[number]
  metadata: Record<string, unknown>
  pid: number | null
  ppid: number | null
  start_time: number | null
  cwd: string | null
  label: string | null
  notify: boolean
  transport_kind: (typeof TRANSPORTS)[number]
  transport_details: Record<string, unknown>
  state: string
  transcript_path: string | null
  created_at: number
  updated_at: number
  expires_at: number | null
}

type Writable = Omit<Session, "id" | "created_at" | "updated_at">
export type SessionInput = Partial<Writable>
export type SessionPatch = Partial<Writable>
export type SessionFilter = Partial<Pick<Session, "project_id" | "status" | "ppid" | "notify" | "state" | "agent_session_id">>

const COLUMNS = [
  "id",
  "project_id",
  "agent_session_id",
  "name",
  "action_type",
  "status",
  "metadata",
  "pid",
  "ppid",
  "start_time",
  "cwd",
  "label",
  "notify",
  "transport_kind",
  "transport_details",
  "state",
  "transcript_path",
  "created_at",
  "updated_at",
  "expires_at",
] as const

export function create(db: Database) {
  const table = entity<Session>(db, {
    table: "sessions",
    what: "session",
    columns: COLUMNS,
    json: ["metadata", "transport_details"],
    bool: ["notify"],
    unique: { agent_session_id: (id) => `a session for agent session ${id} already exists` },
    parent: { column: "project_id", what: "project" },
  })
  const byAgent = db.query<{ id: string }, [string]>("SELECT id FROM sessions WHERE agent_session_id = ?")
  const watched = db.query<{ id: string; pid: number; start_time: number | null }, []>(
    "SELECT id, pid, start_time FROM sessions WHERE state = 'active' AND pid IS NOT NULL",
  )
  const setState = db.query("UPDATE sessions SET state = ?, updated_at = ? WHERE id = ? AND state = 'active'")
  const expire = db.query("UPDATE sessions SET state = 'expired', updated_at = ?1 WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= ?1")
  return {
    /** The registry's key: Claude Code's own session id. */
    byAgentSession(agentSessionId: string): Session | undefined {
      const row = byAgent.get(agentSessionId)
      return row ? table.get(row.id) : undefined
    },
    /** Active sessions with a process to watch (the liveness job). */
    watched: () => watched.all(),
    /** active -> dead (its process is gone); returns whether it changed. */
    markDead: (id: string, now = Date.now()) => setState.run("dead", now, id).changes > 0,
    /** active sessions past expires_at become expired; returns how many. */
    expire: (now = Date.now()) => expire.run(now).changes,
    get: table.get,
    find: table.find,
    list: (filter: SessionFilter, page: ListOptions) => table.list(filter, page),
    create(input: SessionInput, now = Date.now()) {
      return table.insert({ ...input, id: Bun.randomUUIDv7(), created_at: now, updated_at: now })
    },
    update: (id: string, patch: SessionPatch, now = Date.now()) => table.update(id, patch, now),
    remove: table.remove,
  }
}

export type Store = ReturnType<typeof create>
