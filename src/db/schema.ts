import { Database } from "bun:sqlite"
import { buildSchema, type Registered } from "./migrate"

// A database file hive did not just write (a backup, a restored copy, the file found at start) is untrusted:
// its sqlite_master can carry a trigger that rewrites every approval, or a view that calls load_extension,
// and SQLite runs them for whoever opens it. So its schema is compared, entry by entry, with the one this
// binary's own migrations build for the same schema version; any difference is refused, by name.

/** `table sessions` -> its definition: the SQL SQLite keeps, then every column as table_xinfo reports it. */
export type Schema = Map<string, string>

/** Statistics tables that ANALYZE and `PRAGMA optimize` create and fill on their own; they hold no code. */
const STATISTICS = /^sqlite_stat\d$/

/** The schema of an open database, in the shape `differences` compares. */
export function describe(db: Database): Schema {
  const out: Schema = new Map()
  const entries = db.query<{ type: string; name: string; tbl_name: string; sql: string | null }, []>("SELECT type, name, tbl_name, sql FROM sqlite_master").all()
  for (const e of entries) {
    if (e.type === "table" && STATISTICS.test(e.name)) continue
    let definition = `on ${e.tbl_name}: ${e.sql ?? "(automatic)"}`
    if (e.type === "table" && !e.sql?.startsWith("CREATE VIRTUAL TABLE")) {
      const cols = db
        .query<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }, [string]>(
          "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)",
        )
        .all(e.name)
      definition += `\ncolumns: ${cols.map((c) => `${c.name} ${c.type}${c.notnull ? " not null" : ""}${c.dflt_value !== null ? ` default ${c.dflt_value}` : ""}${c.pk ? ` pk${c.pk}` : ""}${c.hidden ? ` hidden${c.hidden}` : ""}`).join(", ")}`
    }
    out.set(`${e.type} ${e.name}`, definition)
  }
  return out
}

/** Every way `actual` differs from `expected`, one line each, naming the entry ("an unexpected trigger approve_all on approvals"). */
export function differences(actual: Schema, expected: Schema): string[] {
  const out: string[] = []
  const on = (definition: string) => definition.slice(3, definition.indexOf(":"))
  for (const [key, definition] of actual) {
    const [type, name] = key.split(" ", 2) as [string, string]
    const want = expected.get(key)
    if (want === undefined) out.push(`an unexpected ${type} ${name}${type === "table" ? "" : ` on ${on(definition)}`}`)
    else if (want !== definition) out.push(`${type} ${name} is not defined as this hive defines it`)
  }
  for (const key of expected.keys()) if (!actual.has(key)) out.push(`no ${key}`)
  return out
}

const references = new Map<number, Schema>()

/** What this binary's migrations build, up to and including `version`, in an empty in-memory database (cached). */
export function reference(list: readonly Registered[], version: number): Schema {
  let schema = references.get(version)
  if (schema) return schema
  const db = new Database(":memory:", { strict: true })
  try {
    const nowhere = "/nonexistent/hive-reference-schema"
    // Import migrations find no legacy files there, so they create their tables and take nothing in.
    const env = {
      legacy: { ccrDir: nowhere, stateDir: nowhere, configDir: nowhere, hiveDir: nowhere },
      now: () => 0,
      secrets: () => {
        throw new Error("the reference schema imports nothing")
      },
    }
    buildSchema(db, list.slice(0, version), env)
    schema = describe(db)
  } finally {
    db.close()
  }
  references.set(version, schema)
  return schema
}

/** The migrations a file records: its schema version, or why that table is not hive's. */
export function recordedVersion(db: Database, list: readonly Registered[]): { version: number } | { problem: string } {
  const table = db.query<{ sql: string }, []>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()
  if (!table) return { version: 0 }
  try {
    const rows = db.query<{ version: unknown }, []>("SELECT version FROM schema_migrations ORDER BY version").all()
    const versions = rows.map((r) => r.version)
    const newest = versions.at(-1) ?? 0
    if (typeof newest !== "number") return { problem: "its schema_migrations holds a version that is not a number" }
    // A newer hive's file is refused as newer, whatever else it holds; this binary cannot judge its schema.
    if (newest > list.length) return { version: newest }
    if (!versions.every((v, i) => v === i + 1)) return { problem: "its schema_migrations does not list migrations 1, 2, 3… without gaps" }
    return { version: newest }
  } catch (err) {
    return { problem: `its schema_migrations table is not hive's (${(err as Error).message})` }
  }
}

/**
 * Why a database cannot be trusted as hive's (empty when it can): a schema that is not exactly what this
 * binary's migrations build for the version it records. A version newer than the binary is not judged here.
 */
export function untrusted(db: Database, list: readonly Registered[]): string[] {
  const recorded = recordedVersion(db, list)
  if ("problem" in recorded) return [recorded.problem]
  if (recorded.version > list.length) return []
  const actual = describe(db)
  // A new, empty file (hive creates it on first start) is trusted: there is nothing in it to run.
  if (recorded.version === 0 && actual.size === 0) return []
  return differences(actual, reference(list, recorded.version))
}
