import type { Database, Statement } from "bun:sqlite"
import { keysetPage, type PageOptions } from "./entity"

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
export function create(db: Database) {
  const insert = db.query("INSERT INTO audit_log (at, action, subject, actor, detail) VALUES (?, ?, ?, ?, ?)")
  // Compiled on first use: import migrations older than 022 (no imported_at yet) append through this store.
  let page: Statement<Raw, [number, number]> | undefined
  const pageOf = () =>
    (page ??= db.query<Raw, [number, number]>("SELECT id, at, action, subject, actor, detail, imported_at FROM audit_log WHERE id > ? ORDER BY id LIMIT ?"))
  return {
    append(action: AuditAction, subject: string, actor: string, detail: Record<string, unknown> = {}, now = Date.now()) {
      insert.run(now, action, subject, actor, JSON.stringify(detail))
    },
    list({ limit, cursor }: PageOptions) {
      const decode = (r: Raw): AuditEntry => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })
      return keysetPage(
        limit,
        (n) =>
          pageOf()
            .all(Number(cursor ?? 0) || 0, n)
            .map(decode),
        (e) => e.id,
      )
    },
  }
}

export type Store = ReturnType<typeof create>
