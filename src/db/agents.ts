import type { Database } from "bun:sqlite"
import { conflict, notFound } from "../errors"

export const OPERATOR = "operator"
export const DEFAULT_MODEL = "haiku"
export type Agent = { name: string; model: string; status: "active" | "destroyed"; created_at: number; updated_at: number; destroyed_at: number | null }

/** Agents, their model, and destroy (a tombstone that keeps state) vs purge (every row of theirs gone). */
export function create(db: Database) {
  const cols = "name, model, status, created_at, updated_at, destroyed_at"
  const one = db.query<Agent, [string]>(`SELECT ${cols} FROM agents WHERE name = ?`)
  const all = db.query<Agent, []>(`SELECT ${cols} FROM agents ORDER BY name`)
  const insert = db.query<Agent, [string, string, number]>(
    `INSERT INTO agents (name, model, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) ON CONFLICT DO NOTHING RETURNING ${cols}`,
  )
  const setModel = db.query<Agent, [string, number, string]>(`UPDATE agents SET model = ?, updated_at = ? WHERE name = ? RETURNING ${cols}`)
  const setStatus = db.query<Agent, [string, number | null, number, string]>(
    `UPDATE agents SET status = ?, destroyed_at = ?, updated_at = ? WHERE name = ? RETURNING ${cols}`,
  )
  const failPending = db.query(
    "UPDATE approvals SET status = 'failed', resolved_at = ?, resolution_note = 'agent destroyed' WHERE agent = ? AND status = 'pending'",
  )
  const purgeRows = [
    db.query("DELETE FROM messages WHERE sender = ?1 OR recipient = ?1"),
    db.query("DELETE FROM events WHERE agent = ?1"),
    db.query("DELETE FROM turn_stats WHERE agent = ?1"),
    db.query("DELETE FROM questions WHERE asker = ?1 OR target = ?1"),
    db.query("DELETE FROM commands WHERE target = ?1"),
    db.query("DELETE FROM secrets WHERE name = 'agent_token:' || ?1"),
    db.query("DELETE FROM agents WHERE name = ?1"),
  ]

  const get = (name: string) => {
    const row = one.get(name)
    if (!row) throw notFound("agent", name)
    return row
  }
  return {
    get,
    find: (name: string) => one.get(name) ?? undefined,
    list: () => all.all(),
    create(name: string, model = DEFAULT_MODEL, now = Date.now()) {
      const row = insert.get(name, model, now)
      if (!row) throw conflict(`agent ${name} already exists`)
      return row
    },
    setModel(name: string, model: string, now = Date.now()) {
      get(name)
      return setModel.get(model, now, name)!
    },
    /** The tombstone: the agent's state stays, its pending approvals fail. Destroying twice is a 409. */
    destroy(name: string, now = Date.now()) {
      if (get(name).status === "destroyed") throw conflict(`agent ${name} is already destroyed`)
      failPending.run(now, name)
      return setStatus.get("destroyed", now, now, name)!
    },
    revive(name: string, now = Date.now()) {
      if (get(name).status === "active") throw conflict(`agent ${name} is not destroyed`)
      return setStatus.get("active", null, now, name)!
    },
    /** Destroy, then delete every row that belongs to the agent (events, turn stats, messages, questions, commands, its token) except approvals, the audit trail. No undo. */
    purge(name: string, now = Date.now()) {
      if (get(name).status === "active") failPending.run(now, name)
      for (const q of purgeRows) q.run(name)
    },
    /** A party to a message or question: the operator, or an agent that exists and is not destroyed. */
    assertReachable(name: string) {
      if (name === OPERATOR) return
      if (get(name).status === "destroyed") throw conflict(`agent ${name} is destroyed`)
    },
  }
}

export type Store = ReturnType<typeof create>
