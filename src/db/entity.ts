import type { Database, SQLQueryBindings } from "bun:sqlite"
import { conflict, HiveError, notFound, sqliteCode, badRequest } from "../errors"

export const MAX_LIMIT = 500
export const DEFAULT_LIMIT = 50

export type PageOptions = { limit?: number; cursor?: string }
/** What the id-keyed lists also take: newest first (`desc`), and a count of every row the filters match. */
export type ListOptions = PageOptions & { order?: "asc" | "desc"; count?: boolean }
export type Page<T> = { items: T[]; next_cursor: string | null; total?: number }

/**
 * One page of a keyset query, for every list in the API: the limit defaults and is capped here, `fetch`
 * asks for one row more than the page so we know whether another page follows, and the last row's key
 * is the next cursor.
 */
export function keysetPage<R>(limit: number | undefined, fetch: (rows: number) => R[], cursorOf: (row: R) => string | number): Page<R> {
  const n = Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT)
  const rows = fetch(n + 1)
  const items = rows.slice(0, n)
  return { items, next_cursor: rows.length > n ? String(cursorOf(items.at(-1)!)) : null }
}

/** Every row of a paged list, page after page: for the CLI, which shows a whole (small) list at once. */
export function everyRow<R>(list: (page: PageOptions) => Page<R>): R[] {
  const rows: R[] = []
  let cursor: string | undefined
  do {
    const page = list({ limit: MAX_LIMIT, cursor })
    rows.push(...page.items)
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined)
  return rows
}

type Raw = Record<string, SQLQueryBindings>

export type EntitySpec = {
  table: string
  /** How a row is named in messages: "project 0196… not found". */
  what: string
  columns: readonly string[]
  /** Columns stored as JSON text, returned as values. */
  json?: readonly string[]
  /** Columns stored as 0/1, returned as booleans. */
  bool?: readonly string[]
  /** What a UNIQUE violation on a column means, for a clear 409. */
  unique?: Readonly<Record<string, (value: unknown) => string>>
  /** A foreign-key column and what it points at, for a clear 404 when the parent does not exist. */
  parent?: { column: string; what: string }
}

/**
 * The shared shape of an id-keyed table (projects, sessions, worktrees): typed get, keyset-paginated
 * list with equality filters, insert, partial update and delete. Column names come only from the spec,
 * never from input, so the dynamic SQL here cannot be steered by a request.
 */
export class Table<Row> {
  readonly #db: Database
  readonly #spec: EntitySpec
  readonly #cols: string
  readonly #json: Set<string>
  readonly #bool: Set<string>
  readonly #byId: ReturnType<Database["query"]>
  readonly #remove: ReturnType<Database["query"]>

  constructor(db: Database, spec: EntitySpec) {
    this.#db = db
    this.#spec = spec
    this.#cols = spec.columns.join(", ")
    this.#json = new Set(spec.json ?? [])
    this.#bool = new Set(spec.bool ?? [])
    this.#byId = db.query<Raw, [string]>(`SELECT ${this.#cols} FROM ${spec.table} WHERE id = ?`)
    this.#remove = db.query(`DELETE FROM ${spec.table} WHERE id = ?`)
  }

  decode(raw: Raw): Row {
    const out: Record<string, unknown> = { ...raw }
    for (const c of this.#json) if (typeof raw[c] === "string") out[c] = JSON.parse(raw[c] as string)
    for (const c of this.#bool) if (raw[c] !== null && raw[c] !== undefined) out[c] = raw[c] === 1
    return out as Row
  }

  find(id: string): Row | undefined {
    const raw = this.#byId.get(id) as Raw | null
    return raw ? this.decode(raw) : undefined
  }

  get(id: string): Row {
    const row = this.find(id)
    if (!row) throw notFound(this.#spec.what, id)
    return row
  }

  /** Keyset pagination on id (UUIDv7 ids sort by creation time), so pages stay stable while rows are added. */
  list(filters: Record<string, unknown>, page: ListOptions = {}): Page<Row> {
    const { table } = this.#spec
    const where: string[] = []
    const args: SQLQueryBindings[] = []
    for (const [k, v] of Object.entries(this.#encode(filters))) {
      where.push(`${k} = ?`)
      args.push(v)
    }
    const filtered = [...where]
    const filterArgs = [...args]
    const desc = page.order === "desc"
    if (page.cursor !== undefined) {
      where.push(desc ? "id < ?" : "id > ?")
      args.push(page.cursor)
    }
    const sql = `SELECT ${this.#cols} FROM ${table}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id${desc ? " DESC" : ""} LIMIT ?`
    // db.query caches one statement per distinct filter combination, a small bounded set.
    const raw = keysetPage(
      page.limit,
      (n) => this.#db.query<Raw, SQLQueryBindings[]>(sql).all(...args, n),
      (r) => String(r.id),
    )
    const out: Page<Row> = { items: raw.items.map((r) => this.decode(r)), next_cursor: raw.next_cursor }
    if (page.count) {
      const countSql = `SELECT count(*) AS n FROM ${table}${filtered.length ? ` WHERE ${filtered.join(" AND ")}` : ""}`
      out.total = this.#db.query<{ n: number }, SQLQueryBindings[]>(countSql).get(...filterArgs)!.n
    }
    return out
  }

  insert(values: Record<string, unknown>): Row {
    const raw = this.#encode(values)
    const keys = Object.keys(raw)
    try {
      const row = this.#db
        .query<Raw, SQLQueryBindings[]>(
          `INSERT INTO ${this.#spec.table} (${keys.join(", ")}) VALUES (${keys.map(() => "?").join(", ")}) RETURNING ${this.#cols}`,
        )
        .get(...keys.map((k) => raw[k]!))
      return this.decode(row!)
    } catch (err) {
      return this.#explain(err, raw)
    }
  }

  /** Sets only the given fields (and updated_at); an empty patch returns the row unchanged. */
  update(id: string, patch: Record<string, unknown>, now = Date.now()): Row {
    const raw = this.#encode(patch)
    const keys = Object.keys(raw)
    if (keys.length === 0) return this.get(id)
    const sets = [...keys.map((k) => `${k} = ?`), "updated_at = ?"].join(", ")
    try {
      const row = this.#db
        .query<Raw, SQLQueryBindings[]>(`UPDATE ${this.#spec.table} SET ${sets} WHERE id = ? RETURNING ${this.#cols}`)
        .get(...keys.map((k) => raw[k]!), now, id)
      if (!row) throw notFound(this.#spec.what, id)
      return this.decode(row)
    } catch (err) {
      if (err instanceof HiveError) throw err
      return this.#explain(err, raw)
    }
  }

  remove(id: string) {
    if (this.#remove.run(id).changes === 0) throw notFound(this.#spec.what, id)
  }

  #encode(values: Record<string, unknown>): Raw {
    const spec = this.#spec
    const out: Raw = {}
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue
      if (!spec.columns.includes(k)) throw new Error(`${spec.table} has no column ${k}`)
      out[k] = this.#json.has(k) ? JSON.stringify(v) : this.#bool.has(k) ? (v ? 1 : 0) : (v as SQLQueryBindings)
    }
    return out
  }

  #explain(err: unknown, values: Raw): never {
    const spec = this.#spec
    const code = sqliteCode(err)
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      for (const [col, message] of Object.entries(spec.unique ?? {}))
        if (col in values && (err as Error).message.includes(`${spec.table}.${col}`)) throw conflict(message(values[col]))
      throw conflict(`${spec.what} already exists`)
    }
    if (code === "SQLITE_CONSTRAINT_FOREIGNKEY" && spec.parent) throw notFound(spec.parent.what, String(values[spec.parent.column]))
    if (code === "SQLITE_CONSTRAINT_CHECK") throw badRequest(`invalid value for a ${spec.what} field`, { cause: err })
    throw err
  }
}
