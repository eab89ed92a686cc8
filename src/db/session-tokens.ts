import type { Database, Statement } from "bun:sqlite"

/** Short-lived reply tokens (seed 003), stored as SHA-256 hashes; the registry that issues them is issue 6's. */
export class SessionTokens {
  readonly #pruneExpired: Statement
  constructor(db: Database) {
    this.#pruneExpired = db.query("DELETE FROM session_tokens WHERE token_hash IN (SELECT token_hash FROM session_tokens WHERE expires_at <= ? LIMIT ?)")
  }

  /** Deletes up to `limit` tokens expired at `now`; returns how many. */
  pruneExpired(now: number, limit: number): number {
    return this.#pruneExpired.run(now, limit).changes
  }
}

export const create = (db: Database) => new SessionTokens(db)

export type Store = SessionTokens
