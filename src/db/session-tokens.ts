import type { Database } from "bun:sqlite"

/** Short-lived reply tokens (seed 003), stored as SHA-256 hashes; the registry that issues them is issue 6's. */
export function create(db: Database) {
  const pruneExpired = db.query("DELETE FROM session_tokens WHERE token_hash IN (SELECT token_hash FROM session_tokens WHERE expires_at <= ? LIMIT ?)")
  return {
    /** Deletes up to `limit` tokens expired at `now`; returns how many. */
    pruneExpired: (now: number, limit: number) => pruneExpired.run(now, limit).changes,
  }
}

export type Store = ReturnType<typeof create>
