import type { Database } from "bun:sqlite"
import { notFound } from "../errors"

export type TokenRow = {
  id: string
  name: string
  created_at: number
  expires_at: number
  revoked_at: number | null
  key_id: string | null
  scope: "admin" | "agent" | "hooks" | "read"
  agent: string | null
}
export type TokenState = "active" | "revoked" | "unknown"

/** A token as `hive token list --json` and GET /api/tokens show it: its row and whether it still works. */
export type TokenView = TokenRow & { status: "active" | "revoked" | "expired" }
export const tokenView = (r: TokenRow, now = Date.now()): TokenView => ({
  ...r,
  status: r.revoked_at !== null ? "revoked" : r.expires_at <= now ? "expired" : "active",
})

/** Admin API tokens: the JWT's jti is the row id; the token string itself is never stored. */
const COLS = "id, name, created_at, expires_at, revoked_at, key_id, scope, agent"

function statements(db: Database) {
  return {
    insert: db.query<TokenRow, [string, string, number, number, string, string, string | null]>(
      `INSERT INTO api_tokens (id, name, created_at, expires_at, key_id, scope, agent) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${COLS}`,
    ),
    all: db.query<TokenRow, []>(`SELECT ${COLS} FROM api_tokens ORDER BY created_at, id`),
    revokedAt: db.query<{ revoked_at: number | null }, [string]>("SELECT revoked_at FROM api_tokens WHERE id = ?"),
    revoke: db.query<TokenRow, [number, string]>(`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${COLS}`),
    count: db.query<{ n: number }, []>("SELECT count(*) AS n FROM api_tokens"),
  }
}

/** API tokens: only their ids and metadata (the token itself is a signed JWT that is never stored). */
export class Tokens {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  issue(input: { id: string; name: string; createdAt: number; expiresAt: number; keyId: string; scope: TokenRow["scope"]; agent: string | null }): TokenRow {
    return this.#q.insert.get(input.id, input.name, input.createdAt, input.expiresAt, input.keyId, input.scope, input.agent)!
  }

  list(): TokenRow[] {
    return this.#q.all.all()
  }

  /** Checked on every request, so revocation by another process (the CLI) takes effect at once. */
  state(id: string): TokenState {
    const row = this.#q.revokedAt.get(id)
    if (!row) return "unknown"
    return row.revoked_at === null ? "active" : "revoked"
  }

  revoke(id: string, now = Date.now()): TokenRow {
    const row = this.#q.revoke.get(now, id)
    if (!row) throw notFound("token", id)
    return row
  }

  /** Whether any token was ever signed with the current key (so a lost key must not be silently replaced). */
  anyIssued(): boolean {
    return this.#q.count.get()!.n > 0
  }
}

export const create = (db: Database) => new Tokens(db)

export type Store = Tokens
