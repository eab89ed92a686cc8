import type { Database } from "bun:sqlite"
import { keysetPage, type Page, type PageOptions } from "./entity"

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

const COLS = "forge, access_token, refresh_token, key_id, expires_at, scope, account, created_at, updated_at"

function statements(db: Database) {
  return {
    one: db.query<Row, [string]>(`SELECT ${COLS} FROM operator_oauth_tokens WHERE forge = ?`),
    page: db.query<Row, [string, number]>(`SELECT ${COLS} FROM operator_oauth_tokens WHERE forge > ? ORDER BY forge LIMIT ?`),
    upsert: db.query<Row, [string, Uint8Array, Uint8Array | null, string, number | null, string | null, string | null, number]>(
      `INSERT INTO operator_oauth_tokens (forge, access_token, refresh_token, key_id, expires_at, scope, account, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
       ON CONFLICT (forge) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
         key_id = excluded.key_id, expires_at = excluded.expires_at, scope = excluded.scope, account = excluded.account,
         updated_at = excluded.updated_at
       RETURNING ${COLS}`,
    ),
    reseal: db.query("UPDATE operator_oauth_tokens SET access_token = ?, refresh_token = ?, key_id = ? WHERE forge = ?"),
    remove: db.query("DELETE FROM operator_oauth_tokens WHERE forge = ?"),
    notUnder: db.query<Row, [string]>(`SELECT ${COLS} FROM operator_oauth_tokens WHERE key_id <> ?`),
  }
}

/** The operator's OAuth tokens per forge, as sealed bytes (src/secrets/oauth.ts seals and opens them). */
export class OAuthRows {
  readonly #q: ReturnType<typeof statements>
  readonly meta = meta
  constructor(db: Database) {
    this.#q = statements(db)
  }

  find(forge: string): Row | undefined {
    return this.#q.one.get(forge) ?? undefined
  }

  /** By forge, a page at a time (the cursor is the last forge). */
  list(page: PageOptions = {}): Page<OAuthMeta> {
    const raw = keysetPage(
      page.limit,
      (n) => this.#q.page.all(page.cursor ?? "", n),
      (r) => r.forge,
    )
    return { items: raw.items.map(meta), next_cursor: raw.next_cursor }
  }

  put(forge: string, access: Uint8Array, refresh: Uint8Array | null, keyId: string, fields: OAuthFields, now: number): OAuthMeta {
    return meta(this.#q.upsert.get(forge, access, refresh, keyId, fields.expires_at, fields.scope, fields.account, now)!)
  }

  reseal(forge: string, access: Uint8Array, refresh: Uint8Array | null, keyId: string) {
    this.#q.reseal.run(access, refresh, keyId, forge)
  }

  remove(forge: string): boolean {
    return this.#q.remove.run(forge).changes > 0
  }

  sealedWithOther(keyId: string): Row[] {
    return this.#q.notUnder.all(keyId)
  }
}

export const create = (db: Database) => new OAuthRows(db)

export type Store = OAuthRows
