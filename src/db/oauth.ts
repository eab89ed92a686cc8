import type { Database } from "bun:sqlite"

type Row = {
  forge: string
  access_token: Uint8Array
  refresh_token: Uint8Array | null
  key_id: string
  expires_at: number | null
  scope: string | null
  account: string | null
  created_at: number
  updated_at: number
}
/** What lists show: whether tokens exist, never their values. */
export type OAuthMeta = Omit<Row, "access_token" | "refresh_token"> & { has_refresh_token: boolean }
export type OAuthFields = { expires_at: number | null; scope: string | null; account: string | null }

const meta = ({ access_token: _a, refresh_token, ...rest }: Row): OAuthMeta => ({ ...rest, has_refresh_token: refresh_token !== null })

export function create(db: Database) {
  const cols = "forge, access_token, refresh_token, key_id, expires_at, scope, account, created_at, updated_at"
  const one = db.query<Row, [string]>(`SELECT ${cols} FROM operator_oauth_tokens WHERE forge = ?`)
  const all = db.query<Row, []>(`SELECT ${cols} FROM operator_oauth_tokens ORDER BY forge`)
  const upsert = db.query<Row, [string, Uint8Array, Uint8Array | null, string, number | null, string | null, string | null, number]>(
    `INSERT INTO operator_oauth_tokens (forge, access_token, refresh_token, key_id, expires_at, scope, account, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
     ON CONFLICT (forge) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
       key_id = excluded.key_id, expires_at = excluded.expires_at, scope = excluded.scope, account = excluded.account,
       updated_at = excluded.updated_at
     RETURNING ${cols}`,
  )
  const reseal = db.query("UPDATE operator_oauth_tokens SET access_token = ?, refresh_token = ?, key_id = ? WHERE forge = ?")
  const remove = db.query("DELETE FROM operator_oauth_tokens WHERE forge = ?")
  const notUnder = db.query<Row, [string]>(`SELECT ${cols} FROM operator_oauth_tokens WHERE key_id <> ?`)
  return {
    find: (forge: string) => one.get(forge) ?? undefined,
    list: () => all.all().map(meta),
    meta,
    put(forge: string, access: Uint8Array, refresh: Uint8Array | null, keyId: string, fields: OAuthFields, now: number) {
      return meta(upsert.get(forge, access, refresh, keyId, fields.expires_at, fields.scope, fields.account, now)!)
    },
    reseal: (forge: string, access: Uint8Array, refresh: Uint8Array | null, keyId: string) => void reseal.run(access, refresh, keyId, forge),
    remove: (forge: string) => remove.run(forge).changes > 0,
    sealedWithOther: (keyId: string) => notUnder.all(keyId),
  }
}

export type Store = ReturnType<typeof create>
