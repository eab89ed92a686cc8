import type { Database } from "bun:sqlite"
import { keysetPage, type Page, type PageOptions } from "./entity"

type Row = { name: string; envelope: Uint8Array; key_id: string; created_at: number; updated_at: number }
/** What lists are made of: never the envelope, let alone the value; the vault turns `bytes` into the value's size. */
export type StoredSecret = { name: string; bytes: number; key_id: string; created_at: number; updated_at: number }

const META_COLS = "name, length(envelope) AS bytes, key_id, created_at, updated_at"
const ROW_COLS = "name, envelope, key_id, created_at, updated_at"

function statements(db: Database) {
  return {
    one: db.query<Row, [string]>(`SELECT ${ROW_COLS} FROM secrets WHERE name = ?`),
    oneMeta: db.query<StoredSecret, [string]>(`SELECT ${META_COLS} FROM secrets WHERE name = ?`),
    page: db.query<StoredSecret, [string, number]>(`SELECT ${META_COLS} FROM secrets WHERE name > ? ORDER BY name LIMIT ?`),
    upsert: db.query<StoredSecret, [string, Uint8Array, string, number]>(
      `INSERT INTO secrets (name, envelope, key_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
       ON CONFLICT (name) DO UPDATE SET envelope = excluded.envelope, key_id = excluded.key_id, updated_at = excluded.updated_at
       RETURNING ${META_COLS}`,
    ),
    reseal: db.query("UPDATE secrets SET envelope = ?, key_id = ? WHERE name = ?"),
    remove: db.query("DELETE FROM secrets WHERE name = ?"),
    withPrefix: db.query<Row, [string, string]>(
      `SELECT ${ROW_COLS} FROM secrets WHERE name >= ?1 AND substr(name, 1, length(?1)) = ?1 AND name > ?2 ORDER BY name`,
    ),
    first: db.query<Row, []>(`SELECT ${ROW_COLS} FROM secrets ORDER BY name LIMIT 1`),
    notUnder: db.query<Row, [string]>(`SELECT ${ROW_COLS} FROM secrets WHERE key_id <> ?`),
  }
}

/** Secrets as sealed envelopes (src/secrets/ seals and opens them); lists carry metadata only. */
export class SecretRows {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  find(name: string): Row | undefined {
    return this.#q.one.get(name) ?? undefined
  }

  first(): Row | undefined {
    return this.#q.first.get() ?? undefined
  }

  meta(name: string): StoredSecret | undefined {
    return this.#q.oneMeta.get(name) ?? undefined
  }

  list({ limit, cursor }: PageOptions): Page<StoredSecret> {
    return keysetPage(
      limit,
      (n) => this.#q.page.all(cursor ?? "", n),
      (s) => s.name,
    )
  }

  put(name: string, envelope: Uint8Array, keyId: string, now: number): StoredSecret {
    return this.#q.upsert.get(name, envelope, keyId, now)!
  }

  reseal(name: string, envelope: Uint8Array, keyId: string) {
    this.#q.reseal.run(envelope, keyId, name)
  }

  remove(name: string): boolean {
    return this.#q.remove.run(name).changes > 0
  }

  withPrefix(prefix: string): Row[] {
    return this.#q.withPrefix.all(prefix, "")
  }

  /** Rows sealed by any generation but `keyId`: what a rotation still has to re-seal. */
  sealedWithOther(keyId: string): Row[] {
    return this.#q.notUnder.all(keyId)
  }
}

export const create = (db: Database) => new SecretRows(db)

export type Store = SecretRows
