import type { Database } from "bun:sqlite"
import { notFound } from "../errors"
import { keysetPage, type Page, type PageOptions } from "./entity"

/** The Claude SDK resume map (seed 004): `<forge>:<agent>:<repo>:<issue>` -> the SDK's session id. */
export type SdkSession = { key: string; session_id: string; last_used_at: number; created_at: number }

const COLS = "key, session_id, last_used_at, created_at"

function statements(db: Database) {
  return {
    one: db.query<SdkSession, [string]>(`SELECT ${COLS} FROM claude_sdk_sessions WHERE key = ?`),
    page: db.query<SdkSession, [string, number]>(`SELECT ${COLS} FROM claude_sdk_sessions WHERE key > ? ORDER BY key LIMIT ?`),
    upsert: db.query<SdkSession, [string, string, number]>(
      `INSERT INTO claude_sdk_sessions (key, session_id, last_used_at, created_at) VALUES (?1, ?2, ?3, ?3)
       ON CONFLICT (key) DO UPDATE SET session_id = excluded.session_id, last_used_at = excluded.last_used_at
       RETURNING ${COLS}`,
    ),
    touch: db.query<SdkSession, [number, string]>(`UPDATE claude_sdk_sessions SET last_used_at = ? WHERE key = ? RETURNING ${COLS}`),
    remove: db.query("DELETE FROM claude_sdk_sessions WHERE key = ?"),
    prune: db.query("DELETE FROM claude_sdk_sessions WHERE key IN (SELECT key FROM claude_sdk_sessions WHERE last_used_at < ? LIMIT ?)"),
  }
}

export class SdkSessions {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  get(key: string): SdkSession {
    const row = this.#q.one.get(key)
    if (!row) throw notFound("sdk session", key)
    return row
  }

  list({ limit, cursor }: PageOptions): Page<SdkSession> {
    return keysetPage(
      limit,
      (n) => this.#q.page.all(cursor ?? "", n),
      (s) => s.key,
    )
  }

  /** Insert or replace the mapping; created_at survives a replace. */
  set(key: string, sessionId: string, now = Date.now()): SdkSession {
    return this.#q.upsert.get(key, sessionId, now)!
  }

  touch(key: string, now = Date.now()): SdkSession {
    const row = this.#q.touch.get(now, key)
    if (!row) throw notFound("sdk session", key)
    return row
  }

  remove(key: string) {
    if (this.#q.remove.run(key).changes === 0) throw notFound("sdk session", key)
  }

  /** Drops up to `limit` entries not used since `olderThan` (unix ms); returns how many. */
  pruneStale(olderThan: number, limit = Number.MAX_SAFE_INTEGER): number {
    return this.#q.prune.run(olderThan, limit).changes
  }
}

export const create = (db: Database) => new SdkSessions(db)

export type Store = SdkSessions
