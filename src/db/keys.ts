import type { Database } from "bun:sqlite"

export type KeyUsage = { key_id: string; generation: number; encryptions: number; first_used_at: number; last_used_at: number }

/** Bookkeeping about master key generations: what references each one, and how much each has sealed. */
// Encrypted values, and tokens that can still be used, pin the generation that sealed or signed them.
// Devices pin theirs from migration 019 on; the import migrations before it unlock the key too.
const PINNED = `SELECT key_id, 'secrets' AS what, count(*) AS n FROM secrets GROUP BY key_id
   UNION ALL SELECT key_id, 'oauth tokens', count(*) FROM operator_oauth_tokens GROUP BY key_id
   UNION ALL SELECT key_id, 'api tokens', count(*) FROM api_tokens
     WHERE key_id IS NOT NULL AND revoked_at IS NULL AND expires_at > ?1 GROUP BY key_id`
const DEVICES_PINNED = `
   UNION ALL SELECT key_id, 'device tokens', count(*) FROM paired_devices
     WHERE key_id IS NOT NULL AND revoked_at IS NULL AND token_expires_at > ?1 GROUP BY key_id`

function statements(db: Database) {
  return {
    bump: db.query<{ encryptions: number }, [string, number, number, number]>(
      `INSERT INTO key_usage (key_id, generation, encryptions, first_used_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4)
       ON CONFLICT (key_id) DO UPDATE SET encryptions = encryptions + excluded.encryptions, last_used_at = excluded.last_used_at
       RETURNING encryptions`,
    ),
    usage: db.query<KeyUsage, []>("SELECT key_id, generation, encryptions, first_used_at, last_used_at FROM key_usage ORDER BY generation DESC"),
    encrypted: db.query<{ n: number }, []>("SELECT (SELECT count(*) FROM secrets) + (SELECT count(*) FROM operator_oauth_tokens) AS n"),
    adoptTokens: db.query("UPDATE api_tokens SET key_id = ? WHERE key_id IS NULL"),
  }
}

/** What the key generations have done and what still depends on each (rotation, `hive doctor`). */
export class KeyRows {
  readonly #db: Database
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#db = db
    this.#q = statements(db)
  }

  /** Counts encryptions by a generation; returns the running total. */
  countEncryptions(keyId: string, generation: number, n: number, now = Date.now()): number {
    return this.#q.bump.get(keyId, generation, n, now)!.encryptions
  }

  usage(): KeyUsage[] {
    return this.#q.usage.all()
  }

  /** key id -> what references it, e.g. { "3fa1c2d4": { secrets: 3, "api tokens": 1 } }. */
  references(now = Date.now()): Map<string, Record<string, number>> {
    const db = this.#db
    const hasDevicePins = db.query("SELECT 1 FROM pragma_table_info('paired_devices') WHERE name = 'key_id'").get() !== null
    const referenced = db.query<{ key_id: string; what: string; n: number }, [number]>(hasDevicePins ? PINNED + DEVICES_PINNED : PINNED)
    const out = new Map<string, Record<string, number>>()
    for (const r of referenced.all(now)) out.set(r.key_id, { ...out.get(r.key_id), [r.what]: r.n })
    return out
  }

  encryptedValues(): number {
    return this.#q.encrypted.get()!.n
  }

  /** Tokens issued before key ids were recorded were signed by the only generation there was. */
  adoptUnlabelledTokens(keyId: string): number {
    return this.#q.adoptTokens.run(keyId).changes
  }
}

export const create = (db: Database) => new KeyRows(db)

export type Store = KeyRows
