import type { Database } from "bun:sqlite"
import { conflict, notFound } from "../errors"

export type Command = {
  id: string
  target: string
  payload: unknown
  enqueued_at: number
  claimed_at: number | null
  lease_until: number | null
  acked_at: number | null
  attempts: number
}
type Row = Omit<Command, "payload"> & { payload: string }
const decode = (r: Row): Command => ({ ...r, payload: JSON.parse(r.payload) })

/** The durable command inbox (seed 003): dedup by client id, atomic claims with a lease, ack, redelivery. */
export function create(db: Database) {
  const cols = "id, target, payload, enqueued_at, claimed_at, lease_until, acked_at, attempts"
  const insert = db.query<Row, [string, string, string, number]>(
    `INSERT OR IGNORE INTO commands (id, target, payload, enqueued_at) VALUES (?, ?, ?, ?) RETURNING ${cols}`,
  )
  const one = db.query<Row, [string]>(`SELECT ${cols} FROM commands WHERE id = ?`)
  // One statement: SQLite runs it under the write lock, so two claimers can never get the same command.
  const claim = db.query<Row, [number, number, string]>(
    `UPDATE commands SET claimed_at = ?1, lease_until = ?2, attempts = attempts + 1
     WHERE id = (SELECT id FROM commands WHERE target = ?3 AND acked_at IS NULL AND (lease_until IS NULL OR lease_until <= ?1)
                 ORDER BY enqueued_at, id LIMIT 1)
     RETURNING ${cols}`,
  )
  const ack = db.query<Row, [number, string]>(`UPDATE commands SET acked_at = ? WHERE id = ? AND acked_at IS NULL AND claimed_at IS NOT NULL RETURNING ${cols}`)
  const pending = db.query<Row, [string, number]>(`SELECT ${cols} FROM commands WHERE target = ? AND acked_at IS NULL ORDER BY enqueued_at, id LIMIT ?`)

  const get = (id: string) => {
    const row = one.get(id)
    if (!row) throw notFound("command", id)
    return decode(row)
  }
  return {
    get,
    /** The same id twice is one command: the second call returns the first, or a 409 if it differs. */
    enqueue(input: { id: string; target: string; payload: unknown }, now = Date.now()): { command: Command; created: boolean } {
      const row = insert.get(input.id, input.target, JSON.stringify(input.payload), now)
      if (row) return { command: decode(row), created: true }
      const existing = get(input.id)
      if (existing.target !== input.target || JSON.stringify(existing.payload) !== JSON.stringify(input.payload))
        throw conflict(`command ${input.id} was already enqueued with a different target or payload`)
      return { command: existing, created: false }
    },
    /** The oldest command for a target that is unclaimed or whose lease ran out; undefined when there is none. */
    claim(target: string, leaseMs: number, now = Date.now()) {
      const row = claim.get(now, now + leaseMs, target)
      return row ? decode(row) : undefined
    },
    /** Acknowledging twice is fine; acknowledging a command nobody claimed is a 409. */
    ack(id: string, now = Date.now()) {
      const row = ack.get(now, id)
      if (row) return decode(row)
      const current = get(id)
      if (current.acked_at !== null) return current
      throw conflict(`command ${id} has not been claimed`)
    },
    pending: (target: string, limit = 100) => pending.all(target, limit).map(decode),
  }
}

export type Store = ReturnType<typeof create>
