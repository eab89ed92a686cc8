import type { Database } from "bun:sqlite"
import { DEFAULT_LIMIT, MAX_LIMIT } from "./entity"

export type Event = { id: number; ts: number; agent: string | null; session_id: string | null; kind: string; payload: unknown }
export type EventInput = { ts?: number; agent?: string | null; session_id?: string | null; kind: string; payload?: unknown }
export type EventFilter = { agent?: string; session_id?: string; kind?: string }
type Row = Omit<Event, "payload"> & { payload: string }

const decode = (r: Row): Event => ({ ...r, payload: JSON.parse(r.payload) })

export function create(db: Database) {
  const cols = "id, ts, agent, session_id, kind, payload"
  const insert = db.query<Row, [number, string | null, string | null, string, string]>(
    `INSERT INTO events (ts, agent, session_id, kind, payload) VALUES (?, ?, ?, ?, ?) RETURNING ${cols}`,
  )
  // One statement for every filter combination: the id range scan keeps it cheap for a stream's next page.
  const since = db.query<Row, [number, string | null, string | null, string | null, number]>(
    `SELECT ${cols} FROM events WHERE id > ?1 AND (?2 IS NULL OR agent = ?2) AND (?3 IS NULL OR session_id = ?3) AND (?4 IS NULL OR kind = ?4)
     ORDER BY id LIMIT ?5`,
  )
  const latest = db.query<{ id: number | null }, []>("SELECT max(id) AS id FROM events")
  // Batches go in as multi-row INSERTs (fewer crossings into SQLite per event) without RETURNING.
  const ROWS = 50
  const insertRows = db.prepare(`INSERT INTO events (ts, agent, session_id, kind, payload) VALUES ${Array(ROWS).fill("(?, ?, ?, ?, ?)").join(", ")}`)
  const insertOne = db.prepare("INSERT INTO events (ts, agent, session_id, kind, payload) VALUES (?, ?, ?, ?, ?)")
  const values = (e: EventInput, now: number) => [e.ts ?? now, e.agent ?? null, e.session_id ?? null, e.kind, JSON.stringify(e.payload ?? {})]
  return {
    append(e: EventInput, now = Date.now()): Event {
      return decode(insert.get(e.ts ?? now, e.agent ?? null, e.session_id ?? null, e.kind, JSON.stringify(e.payload ?? {}))!)
    },
    /** Appends in order; the caller's transaction makes the batch atomic. Ids are consecutive (one writer). */
    appendMany(list: EventInput[], now = Date.now()): { count: number; first_id: number | null; last_id: number | null } {
      let i = 0
      for (; i + ROWS <= list.length; i += ROWS) insertRows.run(...list.slice(i, i + ROWS).flatMap((e) => values(e, now)))
      for (; i < list.length; i++) insertOne.run(...values(list[i]!, now))
      if (list.length === 0) return { count: 0, first_id: null, last_id: null }
      const last = Number(db.query<{ id: number }, []>("SELECT last_insert_rowid() AS id").get()!.id)
      return { count: list.length, first_id: last - list.length + 1, last_id: last }
    },
    /** Events after `after`, oldest first. */
    since(after: number, filter: EventFilter = {}, limit = DEFAULT_LIMIT): Event[] {
      return since.all(after, filter.agent ?? null, filter.session_id ?? null, filter.kind ?? null, Math.min(limit, MAX_LIMIT)).map(decode)
    },
    latestId: () => latest.get()!.id ?? 0,
  }
}

export type Store = ReturnType<typeof create>
