import type { Migration } from "../src/db/migrate"

// The Electron-era app kept one preference `tunnel: { enabled, subdomain }` (seed 000), and migration 009
// imported it as it was; hive's own keys are `tunnel.enabled` and `tunnel.subdomain`. This converts what
// earlier versions imported into those keys, so the preferences say what the tunnel does. A key already set
// is newer and wins; the legacy row stays, untouched, as the record of what was imported (a file imported
// later still reaches the tunnel: src/tunnel/settings.ts reads it when hive's own keys are not set).
// The subdomain rule of src/tunnel/identity.ts, as it stood: a value the tunnel would refuse is not carried over.
const SUBDOMAIN = /^(?:[a-z0-9][a-z0-9-]{4,61}[a-z0-9]|[a-z0-9]{4,63})$/

export default {
  name: "legacy_tunnel_preference",
  up({ db }) {
    const row = db.query<{ value: string }, []>("SELECT value FROM preferences WHERE key = 'tunnel'").get()
    if (!row) return
    let legacy: unknown
    try {
      legacy = JSON.parse(row.value)
    } catch {
      return
    }
    if (typeof legacy !== "object" || legacy === null || Array.isArray(legacy)) return
    const { enabled, subdomain } = legacy as { enabled?: unknown; subdomain?: unknown }
    const put = db.query("INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING")
    if (typeof enabled === "boolean") put.run("tunnel.enabled", JSON.stringify(enabled), Date.now())
    if (typeof subdomain === "string" && SUBDOMAIN.test(subdomain)) put.run("tunnel.subdomain", JSON.stringify(subdomain), Date.now())
  },
} satisfies Migration
