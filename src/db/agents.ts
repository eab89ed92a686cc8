import type { Database } from "bun:sqlite"
import { conflict, notFound } from "../errors"
import { keysetPage, type Page, type PageOptions } from "./entity"

export const OPERATOR = "operator"
/** An agent's name (a JSON Schema pattern too): "operator" is the operator's. */
export const AGENT_NAME = "^(?!operator$)[a-z0-9][a-z0-9._-]{0,62}$"
export const DEFAULT_MODEL = "haiku"
export type Agent = { name: string; model: string; status: "active" | "destroyed"; created_at: number; updated_at: number; destroyed_at: number | null }

const COLS = "name, model, status, created_at, updated_at, destroyed_at"

function statements(db: Database) {
  return {
    one: db.query<Agent, [string]>(`SELECT ${COLS} FROM agents WHERE name = ?`),
    page: db.query<Agent, [string, number]>(`SELECT ${COLS} FROM agents WHERE name > ? ORDER BY name LIMIT ?`),
    insert: db.query<Agent, [string, string, number]>(
      `INSERT INTO agents (name, model, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) ON CONFLICT DO NOTHING RETURNING ${COLS}`,
    ),
    setModel: db.query<Agent, [string, number, string]>(`UPDATE agents SET model = ?, updated_at = ? WHERE name = ? RETURNING ${COLS}`),
    setStatus: db.query<Agent, [string, number | null, number, string]>(
      `UPDATE agents SET status = ?, destroyed_at = ?, updated_at = ? WHERE name = ? RETURNING ${COLS}`,
    ),
    failPending: db.query(
      "UPDATE approvals SET status = 'failed', resolved_at = ?, resolution_note = 'agent destroyed' WHERE agent = ? AND status = 'pending'",
    ),
    purgeRows: [
      db.query("DELETE FROM messages WHERE sender = ?1 OR recipient = ?1"),
      db.query("DELETE FROM events WHERE agent = ?1"),
      db.query("DELETE FROM turn_stats WHERE agent = ?1"),
      db.query("DELETE FROM questions WHERE asker = ?1 OR target = ?1"),
      db.query("DELETE FROM commands WHERE target = ?1"),
      db.query("DELETE FROM secrets WHERE name = 'agent_token:' || ?1"),
      db.query("DELETE FROM agents WHERE name = ?1"),
    ],
  }
}

/** Agents, their model, and destroy (a tombstone that keeps state) vs purge (every row of theirs gone). */
export class Agents {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  get(name: string): Agent {
    const row = this.#q.one.get(name)
    if (!row) throw notFound("agent", name)
    return row
  }

  find(name: string): Agent | undefined {
    return this.#q.one.get(name) ?? undefined
  }

  /** By name, a page at a time (the cursor is the last name). */
  list(page: PageOptions = {}): Page<Agent> {
    return keysetPage(
      page.limit,
      (n) => this.#q.page.all(page.cursor ?? "", n),
      (a) => a.name,
    )
  }

  create(name: string, model = DEFAULT_MODEL, now = Date.now()): Agent {
    const row = this.#q.insert.get(name, model, now)
    if (!row) throw conflict(`agent ${name} already exists`)
    return row
  }

  setModel(name: string, model: string, now = Date.now()): Agent {
    this.get(name)
    return this.#q.setModel.get(model, now, name)!
  }

  /** The tombstone: the agent's state stays, its pending approvals fail. Destroying twice is a 409. */
  destroy(name: string, now = Date.now()): Agent {
    if (this.get(name).status === "destroyed") throw conflict(`agent ${name} is already destroyed`)
    this.#q.failPending.run(now, name)
    return this.#q.setStatus.get("destroyed", now, now, name)!
  }

  revive(name: string, now = Date.now()): Agent {
    if (this.get(name).status === "active") throw conflict(`agent ${name} is not destroyed`)
    return this.#q.setStatus.get("active", null, now, name)!
  }

  /** Destroy, then delete every row that belongs to the agent (events, turn stats, messages, questions, commands, its token) except approvals, the audit trail. No undo. */
  purge(name: string, now = Date.now()) {
    if (this.get(name).status === "active") this.#q.failPending.run(now, name)
    for (const q of this.#q.purgeRows) q.run(name)
  }

  /** A party to a message or question: the operator, or an agent that exists and is not destroyed. */
  assertReachable(name: string) {
    if (name === OPERATOR) return
    if (this.get(name).status === "destroyed") throw conflict(`agent ${name} is destroyed`)
  }
}

export const create = (db: Database) => new Agents(db)

export type Store = Agents
