import type { Database } from "bun:sqlite"
import { notFound } from "../errors"
import { keysetPage, type Page, type PageOptions } from "./entity"

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

const COLS = "id, session_id, type, name, content_type, size, stored_size, encoding, sha256, path, created_at"

function statements(db: Database) {
  return {
    insert: db.query<Artifact, (string | number | null)[]>(`INSERT INTO artifacts (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLS}`),
    one: db.query<Artifact, [string]>(`SELECT ${COLS} FROM artifacts WHERE id = ?`),
    page: db.query<Artifact, [string, string, number]>(`SELECT ${COLS} FROM artifacts WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`),
    remove: db.query<{ path: string }, [string]>("DELETE FROM artifacts WHERE id = ? RETURNING path"),
    referenced: db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM artifacts WHERE path = ?"),
    paths: db.query<{ path: string }, []>("SELECT DISTINCT path FROM artifacts"),
    bySession: db.query<{ session_id: string; artifacts: number; bytes: number }, []>(
      // A file shared by two rows is counted once.
      `SELECT session_id, count(*) AS artifacts, (SELECT coalesce(sum(stored_size), 0) FROM (SELECT DISTINCT path, stored_size FROM artifacts b WHERE b.session_id = a.session_id)) AS bytes
       FROM artifacts a GROUP BY session_id ORDER BY session_id`,
    ),
    sessionExists: db.query("SELECT 1 FROM sessions WHERE id = ?"),
  }
}

/** The artifacts' rows (their files are src/artifacts/blobs.ts's). */
export class Artifacts {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  add(a: Omit<Artifact, "id" | "created_at">, now = Date.now()): Artifact {
    return this.#q.insert.get(Bun.randomUUIDv7(), a.session_id, a.type, a.name, a.content_type, a.size, a.stored_size, a.encoding, a.sha256, a.path, now)!
  }

  get(id: string): Artifact {
    const row = this.#q.one.get(id)
    if (!row) throw notFound("artifact", id)
    return row
  }

  requireSession(sessionId: string) {
    if (!this.#q.sessionExists.get(sessionId)) throw notFound("session", sessionId)
  }

  list(sessionId: string, opts: PageOptions): Page<Artifact> {
    this.requireSession(sessionId)
    return keysetPage(
      opts.limit,
      (n) => this.#q.page.all(sessionId, opts.cursor ?? "", n),
      (a) => a.id,
    )
  }

  /** Deletes the row; returns its file's path when no other row shares it (the caller deletes it after commit). */
  remove(id: string): string | undefined {
    const row = this.#q.remove.get(id)
    if (!row) throw notFound("artifact", id)
    return this.isReferenced(row.path) ? undefined : row.path
  }

  isReferenced(path: string): boolean {
    return this.#q.referenced.get(path)!.n > 0
  }

  /** Every file some row refers to (relative paths), for the orphan sweep and `hive doctor`. */
  paths(): Set<string> {
    return new Set(this.#q.paths.all().map((r) => r.path))
  }

  usageBySession(): { session_id: string; artifacts: number; bytes: number }[] {
    return this.#q.bySession.all()
  }
}

export const create = (db: Database) => new Artifacts(db)

export type Store = Artifacts
