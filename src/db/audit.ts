import type { Database, Statement } from "bun:sqlite"
import { keysetPage, type Page, type PageOptions } from "./entity"

export type AuditAction = "set" | "reveal" | "materialize" | "delete" | "rotate" | "import"
/** `imported_at`: set on a row that came from a `hive import` file (what it claims, this install did not see). */
export type AuditEntry = {
  id: number
  at: number
  action: AuditAction
  subject: string
  actor: string
  detail: Record<string, unknown>
  imported_at: number | null
}
type Raw = Omit<AuditEntry, "detail"> & { detail: string }

/** Append-only: who did what to which secret, when. Callers must never put a value in `detail`. */
/** The audit log: who read or changed a secret, an OAuth token, a key; append-only, paged by id. */
export class Audit {
  readonly #db: Database
  readonly #insert: Statement
  // Compiled on first use: import migrations older than 022 (no imported_at yet) append through this store.
  #page: Statement<Raw, [number, number]> | undefined
  #newest: Statement<Raw, [number | bigint, number]> | undefined
  constructor(db: Database) {
    this.#db = db
    this.#insert = db.query("INSERT INTO audit_log (at, action, subject, actor, detail) VALUES (?, ?, ?, ?, ?)")
  }

  append(action: AuditAction, subject: string, actor: string, detail: Record<string, unknown> = {}, now = Date.now()) {
    this.#insert.run(now, action, subject, actor, JSON.stringify(detail))
  }

  /** Oldest first, or newest first with `order: "desc"` (the desk shows the latest entries). */
  list({ limit, cursor, order }: PageOptions & { order?: "asc" | "desc" }): Page<AuditEntry> {
    const cols = "SELECT id, at, action, subject, actor, detail, imported_at FROM audit_log"
    const desc = order === "desc"
    const page = desc
      ? (this.#newest ??= this.#db.query<Raw, [number | bigint, number]>(`${cols} WHERE id < ? ORDER BY id DESC LIMIT ?`))
      : (this.#page ??= this.#db.query<Raw, [number, number]>(`${cols} WHERE id > ? ORDER BY id LIMIT ?`))
    // Newest first starts above any id, an imported one near 2^63 too.
    const from = Number(cursor ?? 0) || (desc ? 9223372036854775807n : 0)
    return keysetPage(
      limit,
      (n) =>
        (page as Statement<Raw, [number | bigint, number]>)
          .all(from, n)
          .map((r): AuditEntry => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })),
      (e) => e.id,
    )
  }
}

export const create = (db: Database) => new Audit(db)

export type Store = Audit
