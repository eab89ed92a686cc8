import type { Database } from "bun:sqlite"
import { DEFAULT_LIMIT } from "./entity"

export type Event = { id: number; ts: number; agent: string | null; session_id: string | null; kind: string; payload: unknown }
export type EventInput = { ts?: number; agent?: string | null; session_id?: string | null; kind: string; payload?: unknown }
export type EventFilter = { agent?: string; session_id?: string; kind?: string }
type Row = Omit<Event, "payload"> & { payload: string }

const decode = (r: Row): Event => ({ ...r, payload: JSON.parse(r.payload) })
const COLS = "id, ts, agent, session_id, kind, payload"

/** The page query for a filter combination (exported so a test can check its query plan). */
export function sinceSql(filter: EventFilter) {
  const where = ["id > $after", "id <= $upTo"]
  if (filter.agent !== undefined) where.push("agent = $agent")
  if (filter.session_id !== undefined) where.push("session_id = $session_id")
  if (filter.kind !== undefined) where.push("kind = $kind")
  return `SELECT ${COLS} FROM events WHERE ${where.join(" AND ")} ORDER BY id LIMIT $limit`
}

export function create(db: Database) {
  const cols = COLS
  const insert = db.query<Row, [number, string | null, string | null, string, string]>(
    `INSERT INTO events (ts, agent, session_id, kind, payload) VALUES (?, ?, ?, ?, ?) RETURNING ${cols}`,
  )
  // One statement per filter combination (at most eight, cached by db.query): written as plain equalities
  // so SQLite can seek the (agent|session_id|kind, id) indexes; "(? IS NULL OR kind = ?)" would scan.
  const sinceQuery = (filter: EventFilter) => db.query<Row, Record<string, string | number>>(sinceSql(filter))
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
    /** Events after `after` (up to `upTo`), oldest first. Callers bound `limit` (keysetPage, a stream's page). */
    since(after: number, filter: EventFilter = {}, limit = DEFAULT_LIMIT, upTo = Number.MAX_SAFE_INTEGER): Event[] {
      const args: Record<string, string | number> = { after, upTo, limit }
      if (filter.agent !== undefined) args.agent = filter.agent
      if (filter.session_id !== undefined) args.session_id = filter.session_id
      if (filter.kind !== undefined) args.kind = filter.kind
      return sinceQuery(filter).all(args).map(decode)
    },
    /**
     * A stream's next page, and the cursor to continue from. The newest id is read before the page, and the
     * page is bounded by it, so the cursor may skip what was scanned without matching (a filtered stream must
     * not rescan the table on every wake-up) but never a row committed in between.
     */
    next(after: number, filter: EventFilter, limit: number): { events: Event[]; cursor: number } {
      const upTo = Math.max(after, latest.get()!.id ?? 0)
      const events = this.since(after, filter, limit, upTo)
      return { events, cursor: events.length === limit ? events.at(-1)!.id : upTo }
    },
  }
}

export type Store = ReturnType<typeof create>
