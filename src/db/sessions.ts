import type { Database } from "bun:sqlite"
import { type ListOptions, type Page, Table } from "./entity"

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

const SPEC = {
  table: "sessions",
  what: "session",
  columns: COLUMNS,
  json: ["metadata", "transport_details"],
  bool: ["notify"],
  unique: { agent_session_id: (id: unknown) => `a session for agent session ${id} already exists` },
  parent: { column: "project_id", what: "project" },
}

function statements(db: Database) {
  return {
    byAgent: db.query<{ id: string }, [string]>("SELECT id FROM sessions WHERE agent_session_id = ?"),
    watched: db.query<{ id: string; pid: number; start_time: number | null }, []>(
      "SELECT id, pid, start_time FROM sessions WHERE state = 'active' AND pid IS NOT NULL",
    ),
    setState: db.query("UPDATE sessions SET state = ?, updated_at = ? WHERE id = ? AND state = 'active'"),
    expire: db.query("UPDATE sessions SET state = 'expired', updated_at = ?1 WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= ?1"),
  }
}

/** The session registry: what Claude Code's hooks and the API report, keyed by hive's id and by the agent's own. */
export class Sessions {
  readonly #table: Table<Session>
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#table = new Table<Session>(db, SPEC)
    this.#q = statements(db)
  }

  /** The registry's key: Claude Code's own session id. */
  byAgentSession(agentSessionId: string): Session | undefined {
    const row = this.#q.byAgent.get(agentSessionId)
    return row ? this.#table.get(row.id) : undefined
  }

  /** Active sessions with a process to watch (the liveness job). */
  watched(): { id: string; pid: number; start_time: number | null }[] {
    return this.#q.watched.all()
  }

  /** active -> dead (its process is gone); returns whether it changed. */
  markDead(id: string, now = Date.now()): boolean {
    return this.#q.setState.run("dead", now, id).changes > 0
  }

  /** active sessions past expires_at become expired; returns how many. */
  expire(now = Date.now()): number {
    return this.#q.expire.run(now).changes
  }

  get(id: string): Session {
    return this.#table.get(id)
  }

  find(id: string): Session | undefined {
    return this.#table.find(id)
  }

  list(filter: SessionFilter, page: ListOptions): Page<Session> {
    return this.#table.list(filter, page)
  }

  create(input: SessionInput, now = Date.now()): Session {
    return this.#table.insert({ ...input, id: Bun.randomUUIDv7(), created_at: now, updated_at: now })
  }

  update(id: string, patch: SessionPatch, now = Date.now()): Session {
    return this.#table.update(id, patch, now)
  }

  remove(id: string) {
    this.#table.remove(id)
  }
}

export const create = (db: Database) => new Sessions(db)

export type Store = Sessions
