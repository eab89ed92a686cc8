import { Database } from "bun:sqlite"
import { migrations } from "../../migrations"
import { buildSchema, type Registered } from "./migrate"
import { describe, NO_LEGACY, type Schema } from "./schema-describe"
import { newestReference } from "./schema-reference" with { type: "macro" }

export { describe, type Schema }

// A database file hive did not just write (a backup, a restored copy, the file found at start) is untrusted:
// its sqlite_master can carry a trigger that rewrites every approval, or a view that calls load_extension,
// and SQLite runs them for whoever opens it. So its schema is compared, entry by entry, with the one this
// binary's own migrations build for the same schema version; any difference is refused, by name.

/** The first differences, for a message a person reads: "an unexpected trigger x on y; no index z; 3 more". */
export function summarize(drift: readonly string[], shown = 5): string {
  return `${drift.slice(0, shown).join("; ")}${drift.length > shown ? `; ${drift.length - shown} more` : ""}`
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
// A macro's result is inlined as a value when the code is bundled, even where the macro itself is async.
const bundled = newestReference() as unknown as Awaited<ReturnType<typeof newestReference>>
if (bundled.ids.join() === migrations.map((m) => m.id).join()) references.set(migrations.length, new Map(bundled.entries))

/** What this binary's migrations build, up to and including `version`, in an empty in-memory database (cached). */
export function reference(list: readonly Registered[], version: number): Schema {
  let schema = list === migrations ? references.get(version) : undefined
  if (schema) return schema
  const db = new Database(":memory:", { strict: true })
  try {
    buildSchema(db, list.slice(0, version), NO_LEGACY)
    schema = describe(db)
  } finally {
    db.close()
  }
  if (list === migrations) references.set(version, schema)
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
