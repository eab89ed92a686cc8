import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { Migration } from "../src/db/migrate"
import { describeSource, importSource, LegacyFormatError, type Source } from "../src/legacy/import"
import { entry as checked, isObject, millis, optional, parseJson } from "../src/legacy/json"

// The Electron-era hive's device registry (seed 000), if it kept one in ~/.hive/paired-devices.json:
// an array of devices, { "devices": [...] }, or { "<id>": {...} }. Timestamps in ms or ISO.
type Entry = {
  id: string
  name: string | null
  platform: string
  user_agent: string | null
  paired_at: number
  last_seen_at: number | null
  revoked_at: number | null
}
const PLATFORMS = new Set(["ios", "android", "web"])

function entry(raw: unknown, index: number, idFromKey: string | undefined, now: number): Entry {
  return checked(`device (#${index + 1})`, () => {
    if (!isObject(raw)) throw new LegacyFormatError("must be an object")
    const id = idFromKey ?? optional<string>(raw.id, "id", "string")
    if (!id) throw new LegacyFormatError('"id" is required')
    const platform = optional<string>(raw.platform, "platform", "string")
    const pairedAt = millis(raw.paired_at ?? raw.pairedAt, "paired_at") ?? now
    const revoked = raw.revoked_at ?? raw.revokedAt ?? (raw.revoked === true ? pairedAt : null)
    return {
      id,
      name: optional(raw.name, "name", "string"),
      platform: platform && PLATFORMS.has(platform) ? platform : "other",
      user_agent: optional(raw.user_agent ?? raw.userAgent, "user_agent", "string"),
      paired_at: pairedAt,
      last_seen_at: millis(raw.last_seen_at ?? raw.lastSeenAt, "last_seen_at"),
      revoked_at: millis(revoked, "revoked_at"),
    }
  })
}

function source(db: Database | undefined, legacy: LegacyPaths, now = Date.now): Source<Entry> {
  return {
    path: join(legacy.hiveDir, "paired-devices.json"),
    what: "hive paired devices",
    parse(bytes) {
      const { value } = parseJson(bytes)
      const t = now()
      const list = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.devices) ? value.devices : undefined
      if (list) return { entries: list.map((d, i) => entry(d, i, undefined, t)), duplicates: 0 }
      if (isObject(value)) return { entries: Object.entries(value).map(([id, d], i) => entry(d, i, id, t)), duplicates: 0 }
      throw new LegacyFormatError('must be a list of devices, { "devices": [...] }, or { "<id>": {...} }')
    },
    key: (e) => e.id,
    insert: (e) =>
      db!
        .query(
          "INSERT INTO paired_devices (id, name, platform, user_agent, paired_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .run(e.id, e.name, e.platform, e.user_agent, e.paired_at, e.last_seen_at, e.revoked_at).changes
        ? "inserted"
        : "same",
    check: (e) => (db!.query("SELECT 1 FROM paired_devices WHERE id = ?").get(e.id) ? "same" : "absent"),
  }
}

export default {
  name: "import_paired_devices",
  up: (ctx) => importSource(ctx, source(ctx.db, ctx.env.legacy, ctx.env.now)),
  describe: (env) => [describeSource(source(undefined, env.legacy))],
} satisfies Migration
