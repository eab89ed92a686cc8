import type { Database } from "bun:sqlite"
import { badRequest, conflict, notFound } from "../errors"
import { keysetPage, type Page, type PageOptions } from "./entity"

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

const COLS = "id, target, payload, enqueued_at, claimed_at, lease_until, acked_at, attempts"

function statements(db: Database) {
  return {
    insert: db.query<Row, [string, string, string, number]>(
      `INSERT OR IGNORE INTO commands (id, target, payload, enqueued_at) VALUES (?, ?, ?, ?) RETURNING ${COLS}`,
    ),
    one: db.query<Row, [string]>(`SELECT ${COLS} FROM commands WHERE id = ?`),
    // One statement: SQLite runs it under the write lock, so two claimers can never get the same command.
    claim: db.query<Row, [number, number, string]>(
      `UPDATE commands SET claimed_at = ?1, lease_until = ?2, attempts = attempts + 1
       WHERE id = (SELECT id FROM commands WHERE target = ?3 AND acked_at IS NULL AND (lease_until IS NULL OR lease_until <= ?1)
                   ORDER BY enqueued_at, id LIMIT 1)
       RETURNING ${COLS}`,
    ),
    ack: db.query<Row, [number, string]>(`UPDATE commands SET acked_at = ? WHERE id = ? AND acked_at IS NULL AND claimed_at IS NOT NULL RETURNING ${COLS}`),
    claimable: db.query<{ one: number }, [string, number]>(
      "SELECT 1 AS one FROM commands WHERE target = ?1 AND acked_at IS NULL AND (lease_until IS NULL OR lease_until <= ?2) LIMIT 1",
    ),
    pending: db.query<Row, [string, number, string, number]>(
      `SELECT ${COLS} FROM commands WHERE target = ? AND acked_at IS NULL AND (enqueued_at, id) > (?, ?) ORDER BY enqueued_at, id LIMIT ?`,
    ),
  }
}

/** A page's cursor names the last command shown: `<enqueued_at>.<id>` (ids are the client's, so they may hold dots). */
function parseCursor(cursor: string | undefined): [number, string] {
  if (cursor === undefined) return [-1, ""]
  const dot = cursor.indexOf(".")
  const at = Number(cursor.slice(0, dot))
  if (dot < 1 || !Number.isSafeInteger(at)) throw badRequest('query field "cursor": not a cursor this list gave out')
  return [at, cursor.slice(dot + 1)]
}

/** The durable command inbox (seed 003): dedup by client id, atomic claims with a lease, ack, redelivery. */
export class Commands {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  get(id: string): Command {
    const row = this.#q.one.get(id)
    if (!row) throw notFound("command", id)
    return decode(row)
  }

  /** The same id twice is one command: the second call returns the first, or a 409 if it differs. */
  enqueue(input: { id: string; target: string; payload: unknown }, now = Date.now()): { command: Command; created: boolean } {
    const row = this.#q.insert.get(input.id, input.target, JSON.stringify(input.payload), now)
    if (row) return { command: decode(row), created: true }
    const existing = this.get(input.id)
    if (existing.target !== input.target || JSON.stringify(existing.payload) !== JSON.stringify(input.payload))
      throw conflict(`command ${input.id} was already enqueued with a different target or payload`)
    return { command: existing, created: false }
  }

  /** The oldest command for a target that is unclaimed or whose lease ran out; undefined when there is none. */
  claim(target: string, leaseMs: number, now = Date.now()): Command | undefined {
    const row = this.#q.claim.get(now, now + leaseMs, target)
    return row ? decode(row) : undefined
  }

  /** Whether a claim would find a command now (a read: a waiting claimer looks before it takes the write lock). */
  claimable(target: string, now = Date.now()): boolean {
    return this.#q.claimable.get(target, now) !== null
  }

  /** Acknowledging twice is fine; acknowledging a command nobody claimed is a 409. */
  ack(id: string, now = Date.now()): Command {
    const row = this.#q.ack.get(now, id)
    if (row) return decode(row)
    const current = this.get(id)
    if (current.acked_at !== null) return current
    throw conflict(`command ${id} has not been claimed`)
  }

  /** A target's commands not yet acknowledged, oldest first, a page at a time. */
  pending(target: string, page: PageOptions = {}): Page<Command> {
    const [at, id] = parseCursor(page.cursor)
    const raw = keysetPage(
      page.limit,
      (n) => this.#q.pending.all(target, at, id, n),
      (r) => `${r.enqueued_at}.${r.id}`,
    )
    return { items: raw.items.map(decode), next_cursor: raw.next_cursor }
  }
}

export const create = (db: Database) => new Commands(db)

export type Store = Commands
