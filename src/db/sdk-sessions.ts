import type { Database } from "bun:sqlite"
import { notFound } from "../errors"
import { keysetPage, type Page, type PageOptions } from "./entity"

/** The Claude SDK resume map (seed 004): `<forge>:<agent>:<repo>:<issue>` -> the SDK's session id. */
export type SdkSession = { key: string; session_id: string; last_used_at: number; created_at: number }

export function create(db: Database) {
  const cols = "key, session_id, last_used_at, created_at"
  const one = db.query<SdkSession, [string]>(`SELECT ${cols} FROM claude_sdk_sessions WHERE key = ?`)
  const page = db.query<SdkSession, [string, number]>(`SELECT ${cols} FROM claude_sdk_sessions WHERE key > ? ORDER BY key LIMIT ?`)
  const upsert = db.query<SdkSession, [string, string, number]>(
    `INSERT INTO claude_sdk_sessions (key, session_id, last_used_at, created_at) VALUES (?1, ?2, ?3, ?3)
     ON CONFLICT (key) DO UPDATE SET session_id = excluded.session_id, last_used_at = excluded.last_used_at
     RETURNING ${cols}`,
  )
  const touch = db.query<SdkSession, [number, string]>(`UPDATE claude_sdk_sessions SET last_used_at = ? WHERE key = ? RETURNING ${cols}`)
  const remove = db.query("DELETE FROM claude_sdk_sessions WHERE key = ?")
  const prune = db.query("DELETE FROM claude_sdk_sessions WHERE key IN (SELECT key FROM claude_sdk_sessions WHERE last_used_at < ? LIMIT ?)")
  return {
    get(key: string) {
      const row = one.get(key)
      if (!row) throw notFound("sdk session", key)
      return row
    },
    list({ limit, cursor }: PageOptions): Page<SdkSession> {
      return keysetPage(
        limit,
        (n) => page.all(cursor ?? "", n),
        (s) => s.key,
      )
    },
    /** Insert or replace the mapping; created_at survives a replace. */
    set: (key: string, sessionId: string, now = Date.now()) => upsert.get(key, sessionId, now)!,
    touch(key: string, now = Date.now()) {
      const row = touch.get(now, key)
      if (!row) throw notFound("sdk session", key)
      return row
    },
    remove(key: string) {
      if (remove.run(key).changes === 0) throw notFound("sdk session", key)
    },
    /** Drops up to `limit` entries not used since `olderThan` (unix ms); returns how many. */
    pruneStale: (olderThan: number, limit = Number.MAX_SAFE_INTEGER) => prune.run(olderThan, limit).changes,
  }
}

export type Store = ReturnType<typeof create>
