import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { Migration } from "../src/db/migrate"
import { describeSource, importSource, LegacyFormatError, type Source } from "../src/legacy/import"
import { duplicateKeys, entry as checked, isObject, millis, optional, parseJson } from "../src/legacy/json"

// claude-hooks' SDK session-resume map (seed 004): `<forge>:<agent>:<repo>:<issue>` -> { id, last_used_at }.
// Insert or replace, as the seed's own migration did: the file is the map's source of truth when it moves.
type Entry = { key: string; session_id: string; last_used_at: number }

function entry(key: string, raw: unknown, now: number): Entry {
  return checked(`entry "${key}"`, () => {
    if (!isObject(raw)) throw new LegacyFormatError("must be an object")
    const id = optional<string>(raw.id, "id", "string")
    if (!id) throw new LegacyFormatError('"id" is required')
    return { key, session_id: id, last_used_at: millis(raw.last_used_at, "last_used_at") ?? now }
  })
}

function source(db: Database | undefined, legacy: LegacyPaths, now = Date.now): Source<Entry> {
  return {
    path: join(legacy.stateDir, "sessions.json"),
    what: "claude-hooks SDK session map",
    parse(bytes) {
      const { value, tree } = parseJson(bytes)
      if (!isObject(value)) throw new LegacyFormatError('must be an object of the form { "<forge>:<agent>:<repo>:<issue>": { "id": ... } }')
      const t = now()
      return { entries: Object.entries(value).map(([k, raw]) => entry(k, raw, t)), duplicates: duplicateKeys(tree) }
    },
    key: (e) => e.key,
    insert(e) {
      const before = db!
        .query<{ session_id: string; last_used_at: number }, [string]>("SELECT session_id, last_used_at FROM claude_sdk_sessions WHERE key = ?")
        .get(e.key)
      if (before?.session_id === e.session_id && before.last_used_at === e.last_used_at) return "same"
      db!
        .query(
          `INSERT INTO claude_sdk_sessions (key, session_id, last_used_at, created_at) VALUES (?1, ?2, ?3, ?3)
           ON CONFLICT (key) DO UPDATE SET session_id = excluded.session_id, last_used_at = excluded.last_used_at`,
        )
        .run(e.key, e.session_id, e.last_used_at)
      return "inserted"
    },
    check: (e) => {
      const row = db!.query<{ session_id: string }, [string]>("SELECT session_id FROM claude_sdk_sessions WHERE key = ?").get(e.key)
      return !row ? "absent" : row.session_id === e.session_id ? "same" : "different"
    },
  }
}

export default {
  name: "import_sdk_sessions",
  up: (ctx) => importSource(ctx, source(ctx.db, ctx.env.legacy, ctx.env.now)),
  describe: (env) => [describeSource(source(undefined, env.legacy))],
} satisfies Migration
