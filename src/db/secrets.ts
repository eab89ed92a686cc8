import type { Database } from "bun:sqlite"
import { keysetPage, type Page, type PageOptions } from "./entity"

type Row = { name: string; envelope: Uint8Array; key_id: string; created_at: number; updated_at: number }
/** What lists are made of: never the envelope, let alone the value; the vault turns `bytes` into the value's size. */
export type StoredSecret = { name: string; bytes: number; key_id: string; created_at: number; updated_at: number }

export function create(db: Database) {
  const metaCols = "name, length(envelope) AS bytes, key_id, created_at, updated_at"
  type MetaRow = StoredSecret
  const one = db.query<Row, [string]>("SELECT name, envelope, key_id, created_at, updated_at FROM secrets WHERE name = ?")
  const oneMeta = db.query<MetaRow, [string]>(`SELECT ${metaCols} FROM secrets WHERE name = ?`)
  const page = db.query<MetaRow, [string, number]>(`SELECT ${metaCols} FROM secrets WHERE name > ? ORDER BY name LIMIT ?`)
  const upsert = db.query<MetaRow, [string, Uint8Array, string, number]>(
    `INSERT INTO secrets (name, envelope, key_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
     ON CONFLICT (name) DO UPDATE SET envelope = excluded.envelope, key_id = excluded.key_id, updated_at = excluded.updated_at
     RETURNING ${metaCols}`,
  )
  const reseal = db.query("UPDATE secrets SET envelope = ?, key_id = ? WHERE name = ?")
  const remove = db.query("DELETE FROM secrets WHERE name = ?")
  const withPrefix = db.query<Row, [string, string]>(
    "SELECT name, envelope, key_id, created_at, updated_at FROM secrets WHERE name >= ?1 AND substr(name, 1, length(?1)) = ?1 AND name > ?2 ORDER BY name",
  )
  const first = db.query<Row, []>("SELECT name, envelope, key_id, created_at, updated_at FROM secrets ORDER BY name LIMIT 1")
  const notUnder = db.query<Row, [string]>("SELECT name, envelope, key_id, created_at, updated_at FROM secrets WHERE key_id <> ?")
  return {
    find: (name: string) => one.get(name) ?? undefined,
    first: () => first.get() ?? undefined,
    meta: (name: string) => oneMeta.get(name) ?? undefined,
    list({ limit, cursor }: PageOptions): Page<StoredSecret> {
      return keysetPage(
        limit,
        (n) => page.all(cursor ?? "", n),
        (s) => s.name,
      )
    },
    put: (name: string, envelope: Uint8Array, keyId: string, now: number) => upsert.get(name, envelope, keyId, now)!,
    reseal: (name: string, envelope: Uint8Array, keyId: string) => void reseal.run(envelope, keyId, name),
    remove: (name: string) => remove.run(name).changes > 0,
    withPrefix: (prefix: string) => withPrefix.all(prefix, ""),
    /** Rows sealed by any generation but `keyId`: what a rotation still has to re-seal. */
    sealedWithOther: (keyId: string) => notUnder.all(keyId),
  }
}

export type Store = ReturnType<typeof create>
