import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { Migration } from "../src/db/migrate"
import { describeSource, importSource, LegacyFormatError, type Source } from "../src/legacy/import"
import { duplicateKeys, isObject, parseJson } from "../src/legacy/json"

// The Electron-era hive's electron-store file (seed 000): ~/.hive/preferences.json, one JSON object whose
// top-level keys become preference rows. A preference already set in hive is newer and is not overwritten.
type Entry = { key: string; json: string }

function source(db: Database | undefined, legacy: LegacyPaths, now = Date.now): Source<Entry> {
  const stored = (key: string) => db!.query<{ value: string }, [string]>("SELECT value FROM preferences WHERE key = ?").get(key)
  // Compare JSON values, not their spelling in the file.
  const same = (a: string, b: string) => JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))
  return {
    path: join(legacy.hiveDir, "preferences.json"),
    what: "hive preferences (electron-store)",
    parse(bytes) {
      const { value, tree } = parseJson(bytes)
      if (!isObject(value)) throw new LegacyFormatError("must be a JSON object of preferences")
      return { entries: Object.entries(value).map(([key, v]) => ({ key, json: JSON.stringify(v) })), duplicates: duplicateKeys(tree) }
    },
    key: (e) => e.key,
    insert(e) {
      const row = stored(e.key)
      if (row) return same(row.value, e.json) ? "same" : "conflict"
      db!.query("INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?)").run(e.key, e.json, now())
      return "inserted"
    },
    check(e) {
      const row = stored(e.key)
      return !row ? "absent" : same(row.value, e.json) ? "same" : "different"
    },
  }
}

export default {
  name: "import_hive_preferences",
  up: (ctx) => importSource(ctx, source(ctx.db, ctx.env.legacy, ctx.env.now)),
  describe: (env) => [describeSource(source(undefined, env.legacy))],
} satisfies Migration
