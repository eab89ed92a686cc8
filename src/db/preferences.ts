import type { Database } from "bun:sqlite"
import { notFound } from "../errors"

export type Preference = { key: string; value: unknown; updated_at: number }
/** A preference as the API answers it: stored (`default: false`), or the default where nothing is. */
export type Effective = { key: string; value: unknown; updated_at: number | null; default: boolean }

/** Seed 000's preferences (the Electron app's electron-store defaults), answered where nothing is stored. */
export const SEED_DEFAULTS: Record<string, unknown> = {
  theme: "system",
  defaultModel: "claude-sonnet-4-5",
  defaultActionType: "freeform",
  recentDirectories: [],
  "tunnel.enabled": false,
}

const ACTION_TYPES = ["research", "plan", "implement", "freeform"]

/** Why `value` is no good for one of seed 000's preferences, or null when it is (or the key is another). */
export function seedPreferenceError(key: string, value: unknown): string | null {
  switch (key) {
    case "theme":
      return ["light", "dark", "system"].includes(value as string) ? null : "theme is light, dark or system"
    case "defaultModel":
      return typeof value === "string" && value.length > 0 && value.length <= 200 ? null : "defaultModel is a model name, 1 to 200 characters"
    case "defaultActionType":
      return ACTION_TYPES.includes(value as string) ? null : `defaultActionType is one of ${ACTION_TYPES.join(", ")}`
    case "recentDirectories":
      return Array.isArray(value) && value.length <= 100 && value.every((d) => typeof d === "string" && d.length > 0 && d.length <= 4096)
        ? null
        : "recentDirectories is a list of at most 100 directory paths"
    case "tunnel.enabled":
      return typeof value === "boolean" ? null : "tunnel.enabled is true or false"
    default:
      return null
  }
}
type Raw = { key: string; value: string; updated_at: number }

const decode = (raw: Raw): Preference => ({ key: raw.key, value: JSON.parse(raw.value), updated_at: raw.updated_at })

function statements(db: Database) {
  return {
    one: db.query<Raw, [string]>("SELECT key, value, updated_at FROM preferences WHERE key = ?"),
    all: db.query<Raw, []>("SELECT key, value, updated_at FROM preferences ORDER BY key"),
    upsert: db.query<Raw, [string, string, number]>(
      `INSERT INTO preferences (key, value, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
       RETURNING key, value, updated_at`,
    ),
    remove: db.query("DELETE FROM preferences WHERE key = ?"),
  }
}

/** The operator's preferences: one JSON value per key. */
export class Preferences {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  /** Every preference as one object, the shape a settings screen reads. */
  all(): Record<string, unknown> {
    return Object.fromEntries(this.#q.all.all().map((r) => [r.key, JSON.parse(r.value)]))
  }

  /** A preference's value, or undefined when it is not set. */
  value(key: string): unknown {
    const raw = this.#q.one.get(key)
    return raw ? JSON.parse(raw.value) : undefined
  }

  get(key: string): Preference {
    const raw = this.#q.one.get(key)
    if (!raw) throw notFound("preference", key)
    return decode(raw)
  }

  /**
   * What a key holds in effect: its own row; else, for `a.b`, the field `b` of an object stored under `a` (the
   * older app kept `notifications` and `tunnel` as objects, imported as they were); else its default.
   */
  effective(key: string, defaults: Record<string, unknown>): Effective | undefined {
    const raw = this.#q.one.get(key)
    if (raw) return { ...decode(raw), default: false }
    const dot = key.indexOf(".")
    if (dot > 0) {
      const parent = this.#q.one.get(key.slice(0, dot))
      const object = parent ? JSON.parse(parent.value) : undefined
      const field = key.slice(dot + 1)
      if (typeof object === "object" && object !== null && !Array.isArray(object) && field in object)
        return { key, value: object[field], updated_at: parent!.updated_at, default: false }
    }
    return Object.hasOwn(defaults, key) ? { key, value: defaults[key], updated_at: null, default: true } : undefined
  }

  /** Every stored preference, and every default key's value in effect: the shape a settings screen reads. */
  allEffective(defaults: Record<string, unknown>): Record<string, unknown> {
    const out = this.all()
    for (const key of Object.keys(defaults)) if (!(key in out)) out[key] = this.effective(key, defaults)!.value
    return out
  }

  put(key: string, value: unknown, now = Date.now()): Preference {
    return decode(this.#q.upsert.get(key, JSON.stringify(value), now)!)
  }

  remove(key: string) {
    if (this.#q.remove.run(key).changes === 0) throw notFound("preference", key)
  }
}

export const create = (db: Database) => new Preferences(db)

export type Store = Preferences
