import type { Database } from "bun:sqlite"

// The shape of a schema as src/db/schema.ts compares it, in a module of its own so that the bundle-time
// reference (schema-reference.ts, a macro) and the run-time check share it without importing each other.

/** `table sessions` -> its definition: the SQL SQLite keeps, then every column as table_xinfo reports it. */
export type Schema = Map<string, string>

/** Statistics tables that ANALYZE and `PRAGMA optimize` create and fill on their own; they hold no code. */
const STATISTICS = /^sqlite_stat\d$/

/** The schema of an open database, in the shape `differences` compares. */
export function describe(db: Database): Schema {
  const out: Schema = new Map()
  const entries = db
    .query<{ type: string; name: string; tbl_name: string; sql: string | null }, []>("SELECT type, name, tbl_name, sql FROM sqlite_master")
    .all()
  for (const e of entries) {
    if (e.type === "table" && STATISTICS.test(e.name)) continue
    let definition = `on ${e.tbl_name}: ${e.sql ?? "(automatic)"}`
    if (e.type === "table" && !e.sql?.startsWith("CREATE VIRTUAL TABLE")) {
      const cols = db
        .query<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }, [string]>(
          'SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)',
        )
        .all(e.name)
      definition += `\ncolumns: ${cols.map((c) => `${c.name} ${c.type}${c.notnull ? " not null" : ""}${c.dflt_value !== null ? ` default ${c.dflt_value}` : ""}${c.pk ? ` pk${c.pk}` : ""}${c.hidden ? ` hidden${c.hidden}` : ""}`).join(", ")}`
    }
    out.set(`${e.type} ${e.name}`, definition)
  }
  return out
}

const nowhere = "/nonexistent/hive-reference-schema"
/** Import migrations find no legacy files here, so they create their tables and take nothing in. */
export const NO_LEGACY = {
  legacy: { ccrDir: nowhere, stateDir: nowhere, configDir: nowhere, hiveDir: nowhere },
  now: () => 0,
  secrets: (): never => {
    throw new Error("the reference schema imports nothing")
  },
}
