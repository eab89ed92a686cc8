import type { Database, SQLQueryBindings } from "bun:sqlite"
import { sqliteCode } from "../errors"

// `hive export` / `hive import`: a line-per-record dump of hive's own tables. Column lists come from the
// database itself (PRAGMA table_info), never from the file, so a record can only name columns that exist.

/** The tables that travel, in an order that puts every parent before its children (foreign keys stay on). */
export const TABLES = [
  { name: "projects", key: ["id"] },
  { name: "sessions", key: ["id"] },
  { name: "worktrees", key: ["id"] },
  // Rows only: each one's file follows the records as file lines (see FilePart), read back by `hive import`.
  { name: "artifacts", key: ["id"] },
  { name: "preferences", key: ["key"] },
  { name: "agents", key: ["name"] },
  { name: "messages", key: ["id"] },
  { name: "approvals", key: ["id"] },
  { name: "questions", key: ["id"] },
  { name: "commands", key: ["id"] },
  // payload has no CHECK in the table (migration 021: hive writes it with JSON.stringify); a file is checked here.
  { name: "events", key: ["id"], json: ["payload"] },
  { name: "turn_stats", key: ["id"] },
  { name: "claude_sdk_sessions", key: ["key"] },
  // Append-only (migration 022): a record is added under a new id and marked imported, never replaces a row.
  { name: "audit_log", key: ["id"] },
  { name: "secrets", key: ["name"], sealed: true },
  { name: "operator_oauth_tokens", key: ["forge"], sealed: true },
] as const satisfies readonly { name: string; key: readonly string[]; sealed?: boolean; json?: readonly string[] }[]
// Not exported, on purpose: api_tokens, paired_devices and key_usage belong to one install; session_tokens
// live a day; job_runs, tunnel_status and schema_migrations describe this database, not the user's data.

export type TableName = (typeof TABLES)[number]["name"]
export type Row = Record<string, SQLQueryBindings>
export type Scope = { kind: "all" } | { kind: "project"; id: string } | { kind: "session"; id: string }

const byName = new Map<string, (typeof TABLES)[number]>(TABLES.map((t) => [t.name, t]))
export const isSealed = (table: string) => Boolean((byName.get(table) as { sealed?: boolean } | undefined)?.sealed)

/** Which rows of a table a scope takes; undefined: the table is not part of that scope. */
const SCOPED: Record<"project" | "session", Partial<Record<TableName, string>>> = {
  project: {
    projects: "id = ?1",
    sessions: "project_id = ?1",
    worktrees: "project_id = ?1",
    artifacts: "session_id IN (SELECT id FROM sessions WHERE project_id = ?1)",
    events: "session_id IN (SELECT id FROM sessions WHERE project_id = ?1)",
  },
  session: {
    projects: "id = (SELECT project_id FROM sessions WHERE id = ?1)",
    sessions: "id = ?1",
    artifacts: "session_id = ?1",
    events: "session_id = ?1",
  },
}

export function columns(db: Database, table: string): string[] {
  return db
    .query<{ name: string }, []>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => c.name)
}

/** Whether the scope's root row exists (so `--project nope` is a clear error, not an empty file). */
export function scopeExists(db: Database, scope: Scope): boolean {
  if (scope.kind === "all") return true
  return db.query(`SELECT 1 FROM ${scope.kind === "project" ? "projects" : "sessions"} WHERE id = ?`).get(scope.id) !== null
}

/** Every row the scope takes, table by table in TABLES order, one at a time (never the whole table in memory). */
export function* rows(db: Database, scope: Scope, opts: { sealed: boolean; artifacts?: boolean }): Generator<{ table: TableName; row: Row }> {
  for (const t of TABLES) {
    if ("sealed" in t && t.sealed && !opts.sealed) continue
    if (t.name === "artifacts" && opts.artifacts === false) continue
    const where = scope.kind === "all" ? "1" : SCOPED[scope.kind][t.name]
    if (where === undefined) continue
    const sql = `SELECT ${columns(db, t.name).join(", ")} FROM ${t.name} WHERE ${where} ORDER BY ${t.key.join(", ")}`
    const stmt = db.prepare<Row, SQLQueryBindings[]>(sql)
    for (const row of stmt.iterate(...(scope.kind === "all" ? [] : [scope.id]))) yield { table: t.name, row }
    stmt.finalize()
  }
}

const isJsonText = (v: SQLQueryBindings | undefined) => {
  if (typeof v !== "string") return false
  try {
    JSON.parse(v)
    return true
  } catch {
    return false
  }
}

export type Outcome = "inserted" | "unchanged" | "replaced" | "skipped" | "failed"

type Column = { name: string; type: string; pk: number }

/**
 * Why a file's value cannot go into a column, or undefined when it can: the checks API input gets. A STRICT
 * table would turn the text "9223372036854775807" into an integer id and exhaust its sequence; JSON numbers
 * past 2^53 are not whole numbers JavaScript can hold; times and row ids are never negative.
 */
function badValue(table: string, col: Column, v: SQLQueryBindings): string | undefined {
  if (v === null) return undefined // NOT NULL is the table's to enforce
  const what = `${table}.${col.name}`
  switch (col.type) {
    case "INTEGER":
      if (typeof v !== "number" || !Number.isSafeInteger(v))
        return `${what} must be a whole number from -(2^53-1) to 2^53-1, got ${JSON.stringify(String(v).slice(0, 40))}`
      if ((col.pk || col.name.endsWith("_at") || col.name === "ts") && v < (col.pk ? 1 : 0))
        return `${what} must not be ${col.pk ? "below 1" : "negative"}, got ${v}`
      return undefined
    case "REAL":
      return typeof v === "number" && Number.isFinite(v) ? undefined : `${what} must be a number`
    case "TEXT":
      return typeof v === "string" ? undefined : `${what} must be text`
    case "BLOB":
      return v instanceof Uint8Array ? undefined : `${what} must be bytes ({"$base64": "..."})`
    default:
      return undefined
  }
}

/** Writes records into their tables: new ones are inserted; an existing key is left alone when equal, else skipped or replaced. */
export function importer(db: Database, onConflict: "skip" | "replace") {
  const cache = new Map<string, { cols: Set<string>; types: Map<string, Column>; key: readonly string[]; json: readonly string[] }>()
  const spec = (table: string) => {
    let s = cache.get(table)
    if (!s) {
      const t = byName.get(table) as { key: readonly string[]; json?: readonly string[] }
      const info = db.query<Column, []>(`SELECT name, upper(type) AS type, pk FROM pragma_table_info('${table}')`).all()
      cache.set(table, (s = { cols: new Set(info.map((c) => c.name)), types: new Map(info.map((c) => [c.name, c])), key: t.key, json: t.json ?? [] }))
    }
    return s
  }
  const same = (a: SQLQueryBindings, b: SQLQueryBindings) =>
    a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.from(a).equals(Buffer.from(b)) : a === b

  const sameAudit = db.query<{ id: number }, [SQLQueryBindings, SQLQueryBindings, SQLQueryBindings, SQLQueryBindings, SQLQueryBindings]>(
    "SELECT id FROM audit_log WHERE at = ? AND action = ? AND subject = ? AND actor = ? AND detail = ? LIMIT 1",
  )
  const appendAudit = db.query("INSERT INTO audit_log (at, action, subject, actor, detail, imported_at) VALUES (?, ?, ?, ?, ?, ?)")
  /**
   * An audit entry from a file: its id is not kept (it could name a row this install wrote, or one far ahead),
   * the same entry already present is left alone, and a new one is appended marked as imported.
   */
  function putAudit(row: Row, now: number): { outcome: Outcome; reason?: string } {
    if ([row.at, row.action, row.subject, row.actor].some((v) => v === undefined || v === null))
      return { outcome: "failed", reason: "an audit_log record needs at, action, subject and actor" }
    const fields = [row.at!, row.action!, row.subject!, row.actor!, row.detail ?? "{}"] as const
    if (!isJsonText(fields[4])) return { outcome: "failed", reason: "audit_log.detail is not valid JSON text" }
    if (sameAudit.get(...fields)) return { outcome: "unchanged" }
    try {
      appendAudit.run(...fields, typeof row.imported_at === "number" ? row.imported_at : now)
      return { outcome: "inserted" }
    } catch (err) {
      if (!sqliteCode(err)?.startsWith("SQLITE_CONSTRAINT")) throw err
      return { outcome: "failed", reason: (err as Error).message }
    }
  }

  return {
    known: (table: string): table is TableName => byName.has(table),
    /** A column the file names that this database's table does not have (undefined when all are known). */
    unknownColumn(table: string, row: Row): string | undefined {
      const { cols } = spec(table)
      return Object.keys(row).find((c) => !cols.has(c))
    },
    /** One record; its failure (a constraint, a missing parent, an unknown column) is reported, never thrown. */
    put(table: TableName, row: Row, now = Date.now()): { outcome: Outcome; reason?: string } {
      const { key, cols, types, json } = spec(table)
      const names = Object.keys(row)
      const unknown = names.find((c) => !cols.has(c))
      if (unknown !== undefined) return { outcome: "failed", reason: `${table} has no column ${JSON.stringify(unknown)}` }
      for (const n of names) {
        const bad = badValue(table, types.get(n)!, row[n]!)
        if (bad) return { outcome: "failed", reason: bad }
      }
      const notJson = json.find((c) => c in row && !isJsonText(row[c]))
      if (notJson !== undefined) return { outcome: "failed", reason: `${table}.${notJson} is not valid JSON text` }
      if (key.some((k) => row[k] === undefined || row[k] === null)) return { outcome: "failed", reason: `no ${key.join(", ")}` }
      if (table === "audit_log") return putAudit(row, now)
      const keyWhere = key.map((k) => `${k} = ?`).join(" AND ")
      const keyArgs = key.map((k) => row[k]!)
      try {
        const existing = db.query<Row, SQLQueryBindings[]>(`SELECT ${names.join(", ")} FROM ${table} WHERE ${keyWhere}`).get(...keyArgs)
        if (!existing) {
          db.query(`INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).run(...names.map((n) => row[n]!))
          return { outcome: "inserted" }
        }
        if (names.every((n) => same(existing[n]!, row[n]!))) return { outcome: "unchanged" }
        if (onConflict === "skip") return { outcome: "skipped" }
        const sets = names.filter((n) => !key.includes(n))
        db.query(`UPDATE ${table} SET ${sets.map((n) => `${n} = ?`).join(", ")} WHERE ${keyWhere}`).run(...sets.map((n) => row[n]!), ...keyArgs)
        return { outcome: "replaced" }
      } catch (err) {
        const code = sqliteCode(err)
        if (!code?.startsWith("SQLITE_CONSTRAINT") && !code?.startsWith("SQLITE_MISMATCH")) throw err
        return { outcome: "failed", reason: (err as Error).message }
      }
    },
  }
}

// The file: a header line, one line per record, then each artifact's file as file lines, and an end line that
// counts records and files (so a cut-off file is refused before anything is written). Blobs (sealed secrets)
// travel as {"$base64": "..."}. Format 2 added artifacts; a format 1 file (none) still imports.
export const FORMAT = 2
export const FORMATS_READ = [1, 2]
export type Header = { hive_export: number; schema: number; exported_at: number; scope: Scope; secrets: "encrypted" | "omitted" }
export type End = { end: true; records: number; files?: number }
/** A piece of an artifact's stored file, in order; the file's last line says its size and sha256 instead. */
export type FileLine = { file: string; data: Uint8Array } | { file: string; bytes: number; sha256: string }
/** Bytes of a file per file line (4 MiB as base64): well under the longest line an import reads. */
export const FILE_PART_BYTES = 3 * 1024 * 1024

export const encodeFilePart = (file: string, data: Uint8Array) => JSON.stringify({ file, data: Buffer.from(data).toString("base64") })
export const encodeFileEnd = (file: string, bytes: number, sha256: string) => JSON.stringify({ file, bytes, sha256 })

export const encodeRecord = (table: string, row: Row) =>
  JSON.stringify({ table, row }, (_, v) => (v instanceof Uint8Array ? { $base64: Buffer.from(v).toString("base64") } : v))

/** A line after the header: a record, a file line or the end line. Throws (with a reason) on anything else. */
export function decodeLine(line: string): { end: End } | { table: string; row: Row } | { file: FileLine } {
  const value = JSON.parse(line, (_, v) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$base64 === "string")
      return new Uint8Array(Buffer.from(v.$base64, "base64"))
    return v
  }) as { table?: unknown; row?: unknown; end?: unknown; records?: unknown; files?: unknown; file?: unknown; data?: unknown; bytes?: unknown; sha256?: unknown }
  if (value?.end === true) {
    if (typeof value.records !== "number") throw new Error("the end line has no record count")
    if (value.files !== undefined && !Number.isSafeInteger(value.files)) throw new Error("the end line's file count is not a whole number")
    return { end: { end: true, records: value.records, files: value.files as number | undefined } }
  }
  if (typeof value?.file === "string") {
    if (typeof value.data === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(value.data))
      return { file: { file: value.file, data: new Uint8Array(Buffer.from(value.data, "base64")) } }
    if (Number.isSafeInteger(value.bytes) && (value.bytes as number) >= 0 && typeof value.sha256 === "string" && /^[0-9a-f]{64}$/.test(value.sha256))
      return { file: { file: value.file, bytes: value.bytes as number, sha256: value.sha256 } }
    throw new Error('not a file line: expected {"file": "...", "data": "<base64>"} or {"file": "...", "bytes": N, "sha256": "..."}')
  }
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.table !== "string" ||
    typeof value.row !== "object" ||
    value.row === null ||
    Array.isArray(value.row)
  )
    throw new Error('not a record: expected {"table": "...", "row": {...}}')
  for (const [col, v] of Object.entries(value.row))
    if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) throw new Error(`column ${JSON.stringify(col)} holds an object, not a value`)
  return { table: value.table, row: value.row as Row }
}
