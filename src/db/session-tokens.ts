import type { Database } from "bun:sqlite"
import { conflict } from "../errors"

/** How long a reply token lasts (seed 003: 24 h). */
export const REPLY_TOKEN_TTL_MS = 24 * 3_600_000
/** As Claude-Code-Remote's tokens were stored (migration 005 hashes the imported ones the same way). */
const hashOf = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("hex")

/** A reply token's row: the token itself is never stored, only its SHA-256. */
export type ReplyToken = { agent_session_id: string; chat_id: number | null; created_at: number; expires_at: number }

function statements(db: Database) {
  return {
    insert: db.query<ReplyToken, [string, string, number | null, number, number]>(
      "INSERT INTO session_tokens (token_hash, agent_session_id, chat_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING agent_session_id, chat_id, created_at, expires_at",
    ),
    byHash: db.query<ReplyToken, [string, number]>(
      "SELECT agent_session_id, chat_id, created_at, expires_at FROM session_tokens WHERE token_hash = ? AND expires_at > ?",
    ),
    pruneExpired: db.query("DELETE FROM session_tokens WHERE token_hash IN (SELECT token_hash FROM session_tokens WHERE expires_at <= ? LIMIT ?)"),
  }
}

/**
 * Reply tokens (seed 003): a short-lived token a chat or mail bridge puts in a message, so that a reply to it
 * reaches its session. Stored as SHA-256 hashes, as Claude-Code-Remote's imported ones are.
 */
export class SessionTokens {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  issue(token: string, agentSessionId: string, chatId: number | null, now = Date.now(), ttlMs = REPLY_TOKEN_TTL_MS): ReplyToken {
    const row = this.#q.insert.get(hashOf(token), agentSessionId, chatId, now, now + ttlMs)
    if (!row) throw conflict("that reply token is already in use")
    return row
  }

  /** The token's row while it has not expired. */
  find(token: string, now = Date.now()): ReplyToken | undefined {
    return this.#q.byHash.get(hashOf(token), now) ?? undefined
  }

  /** Deletes up to `limit` tokens expired at `now`; returns how many. */
  pruneExpired(now: number, limit: number): number {
    return this.#q.pruneExpired.run(now, limit).changes
  }
}

export const create = (db: Database) => new SessionTokens(db)

export type Store = SessionTokens
