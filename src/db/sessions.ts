import type { Database } from "bun:sqlite"
import { type ListOptions, type Page, Table } from "./entity"
import { immediate } from "./tx"
import { badRequest, notFound } from "../errors"
import type { Store as Events } from "./events"

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
  /** The session this one was forked from (`claude --resume X --fork-session`). */
  parent_session_id: string | null
  /** How it last started: startup, resume, clear, compact (SessionStart's `source`). */
  start_source: string | null
  /** Why it ended (SessionEnd's `reason`). */
  end_reason: string | null
  permission_mode: string | null
  model: string | null
  /** Since when nobody is at its terminal: Claude Code said it waits idle, or a reply was typed in from elsewhere. */
  unattended_since: number | null
}

type Writable = Omit<Session, "id" | "created_at" | "updated_at">
export type SessionInput = Partial<Writable>
export type SessionPatch = Partial<Writable>
export type SessionFilter = Partial<
  Pick<
    Session,
    | "project_id"
    | "status"
    | "action_type"
    | "ppid"
    | "notify"
    | "state"
    | "agent_session_id"
    | "parent_session_id"
    | "permission_mode"
    | "start_source"
    | "end_reason"
  >
>

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
  "parent_session_id",
  "start_source",
  "end_reason",
  "permission_mode",
  "model",
  "unattended_since",
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
    expire: db.query<{ id: string; status: string; state: string }, [number]>(
      "UPDATE sessions SET state = 'expired', updated_at = ?1 WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= ?1 RETURNING id, status, state",
    ),
    gone: db.query<{ id: string }, [number, number]>(
      "SELECT id FROM sessions WHERE state IN ('dead', 'ended', 'expired') AND updated_at < ? ORDER BY updated_at LIMIT ?",
    ),
    dropEvents: db.query("DELETE FROM events WHERE session_id = ?"),
    lastResumed: db.query<{ id: string }, [string, number]>(
      "SELECT id FROM sessions WHERE state = 'active' AND start_source = 'resume' AND cwd = ? AND updated_at >= ? ORDER BY updated_at DESC LIMIT 1",
    ),
    byProcess: db.query<{ id: string }, [number, number | null]>(
      "SELECT id FROM sessions WHERE state = 'active' AND pid = ?1 AND start_time IS ?2 ORDER BY updated_at DESC LIMIT 1",
    ),
    drop: db.query("DELETE FROM sessions WHERE id = ?"),
  }
}

/**
 * The session registry: what Claude Code's hooks and the API report, keyed by hive's id and by the agent's own.
 * A session that appears, changes status or state, or goes is also an event (`session.changed`, with only its
 * status and state), in the same transaction, so a phone or a desk on the event stream sees it at once.
 */
export class Sessions {
  readonly #db: Database
  readonly #table: Table<Session>
  readonly #q: ReturnType<typeof statements>
  readonly #events: Events | undefined
  constructor(db: Database, events?: Events) {
    this.#db = db
    this.#table = new Table<Session>(db, SPEC)
    this.#q = statements(db)
    this.#events = events
  }

  #changed(s: { id: string; status: string; state: string }, now: number) {
    this.#events?.append({ kind: "session.changed", session_id: s.id, ts: now, payload: { status: s.status, state: s.state } }, now)
  }

  /** The registry's key: Claude Code's own session id. */
  byAgentSession(agentSessionId: string): Session | undefined {
    const row = this.#q.byAgent.get(agentSessionId)
    return row ? this.#table.get(row.id) : undefined
  }

  /** The active session a process (pid and start time) last reported for. */
  byProcess(pid: number, startTime: number | null): Session | undefined {
    const row = this.#q.byProcess.get(pid, startTime)
    return row ? this.#table.get(row.id) : undefined
  }

  /** The active session of a folder most recently resumed, since `since`. */
  lastResumed(cwd: string, since: number): Session | undefined {
    const row = this.#q.lastResumed.get(cwd, since)
    return row ? this.#table.get(row.id) : undefined
  }

  /** Active sessions with a process to watch (the liveness job). */
  watched(): { id: string; pid: number; start_time: number | null }[] {
    return this.#q.watched.all()
  }

  /** active -> dead (its process is gone); returns whether it changed. */
  markDead(id: string, now = Date.now()): boolean {
    return immediate(this.#db, () => {
      const changed = this.#q.setState.run("dead", now, id).changes > 0
      if (changed) this.#changed(this.#table.get(id), now)
      return changed
    })
  }

  /**
   * Deletes up to `limit` sessions that are dead, ended or expired and unchanged since `before`, with their
   * events; their artifacts' rows and transcript index go with them (ON DELETE CASCADE), the files with the
   * orphan sweep. One transaction per call; returns how many sessions went.
   */
  pruneGone(before: number, limit: number): number {
    return immediate(this.#db, () => {
      const ids = this.#q.gone.all(before, limit)
      for (const { id } of ids) {
        this.#q.dropEvents.run(id)
        this.#q.drop.run(id)
      }
      return ids.length
    })
  }

  /** active sessions past expires_at become expired; returns how many. */
  expire(now = Date.now()): number {
    return immediate(this.#db, () => {
      const expired = this.#q.expire.all(now)
      for (const s of expired) this.#changed(s, now)
      return expired.length
    })
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
    this.#parentMustExist(input.parent_session_id)
    return immediate(this.#db, () => {
      const session = this.#table.insert({ ...input, id: Bun.randomUUIDv7(), created_at: now, updated_at: now })
      this.#changed(session, now)
      return session
    })
  }

  /** Add or update (seed 003's `register`): a session whose agent_session_id is already known is updated. */
  register(input: SessionInput, now = Date.now()): { session: Session; created: boolean } {
    const existing = input.agent_session_id ? this.byAgentSession(input.agent_session_id) : undefined
    if (existing) return { session: this.update(existing.id, input, now), created: false }
    return { session: this.create(input, now), created: true }
  }

  update(id: string, patch: SessionPatch, now = Date.now()): Session {
    this.#parentMustExist(patch.parent_session_id)
    if (patch.parent_session_id === id) throw badRequest('field "parent_session_id": a session cannot be its own parent')
    if (patch.status === undefined && patch.state === undefined) return this.#table.update(id, patch, now)
    return immediate(this.#db, () => {
      const before = this.#table.get(id)
      const after = this.#table.update(id, patch, now)
      if (after.status !== before.status || after.state !== before.state) this.#changed(after, now)
      return after
    })
  }

  // The table's own foreign-key message names the project (its one parent); say which session is missing.
  #parentMustExist(parent: string | null | undefined) {
    if (parent && !this.#table.find(parent)) throw notFound("session", parent)
  }

  remove(id: string, now = Date.now()) {
    immediate(this.#db, () => {
      this.#table.remove(id)
      // The row is gone: the event names it in its payload only.
      this.#events?.append({ kind: "session.changed", session_id: null, ts: now, payload: { id, state: "removed" } }, now)
    })
  }
}

export const create = (db: Database, events?: Events) => new Sessions(db, events)

export type Store = Sessions
