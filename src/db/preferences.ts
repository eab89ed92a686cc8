import type { Database } from "bun:sqlite"
import { notFound } from "../errors"

export type Preference = { key: string; value: unknown; updated_at: number }
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

  put(key: string, value: unknown, now = Date.now()): Preference {
    return decode(this.#q.upsert.get(key, JSON.stringify(value), now)!)
  }

  remove(key: string) {
    if (this.#q.remove.run(key).changes === 0) throw notFound("preference", key)
  }
}

export const create = (db: Database) => new Preferences(db)

export type Store = Preferences
