import type { Database } from "bun:sqlite"
import { notFound } from "../errors"
import { keysetPage, type PageOptions } from "./entity"

export type Artifact = {
  id: string
  session_id: string
  type: string
  name: string | null
  content_type: string
  size: number
  stored_size: number
  encoding: "identity" | "gzip"
  sha256: string
  /** Relative to the data home. */
  path: string
  created_at: number
}

export function create(db: Database) {
  const cols = "id, session_id, type, name, content_type, size, stored_size, encoding, sha256, path, created_at"
  const insert = db.query<Artifact, (string | number | null)[]>(`INSERT INTO artifacts (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${cols}`)
  const one = db.query<Artifact, [string]>(`SELECT ${cols} FROM artifacts WHERE id = ?`)
  const page = db.query<Artifact, [string, string, number]>(`SELECT ${cols} FROM artifacts WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`)
  const remove = db.query<{ path: string }, [string]>("DELETE FROM artifacts WHERE id = ? RETURNING path")
  const referenced = db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM artifacts WHERE path = ?")
  const paths = db.query<{ path: string }, []>("SELECT DISTINCT path FROM artifacts")
  const bySession = db.query<{ session_id: string; artifacts: number; bytes: number }, []>(
    // A file shared by two rows is counted once.
    `SELECT session_id, count(*) AS artifacts, (SELECT coalesce(sum(stored_size), 0) FROM (SELECT DISTINCT path, stored_size FROM artifacts b WHERE b.session_id = a.session_id)) AS bytes
     FROM artifacts a GROUP BY session_id ORDER BY session_id`,
  )
  const sessionExists = db.query("SELECT 1 FROM sessions WHERE id = ?")
  return {
    add(a: Omit<Artifact, "id" | "created_at">, now = Date.now()): Artifact {
      return insert.get(Bun.randomUUIDv7(), a.session_id, a.type, a.name, a.content_type, a.size, a.stored_size, a.encoding, a.sha256, a.path, now)!
    },
    get(id: string) {
      const row = one.get(id)
      if (!row) throw notFound("artifact", id)
      return row
    },
    requireSession(sessionId: string) {
      if (!sessionExists.get(sessionId)) throw notFound("session", sessionId)
    },
    list(sessionId: string, opts: PageOptions) {
      this.requireSession(sessionId)
      return keysetPage(
        opts.limit,
        (n) => page.all(sessionId, opts.cursor ?? "", n),
        (a) => a.id,
      )
    },
    /** Deletes the row; returns its file's path when no other row shares it (the caller deletes it after commit). */
    remove(id: string): string | undefined {
      const row = remove.get(id)
      if (!row) throw notFound("artifact", id)
      return referenced.get(row.path)!.n === 0 ? row.path : undefined
    },
    isReferenced: (path: string) => referenced.get(path)!.n > 0,
    /** Every file some row refers to (relative paths), for the orphan sweep and `hive doctor`. */
    paths: () => new Set(paths.all().map((r) => r.path)),
    usageBySession: () => bySession.all(),
  }
}

export type Store = ReturnType<typeof create>
