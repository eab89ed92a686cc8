import type { Database, Statement } from "bun:sqlite"

/** Whole-database upkeep and checks: the vacuum and optimize jobs, `hive doctor`, `hive serve`'s start check. */
export class Maintenance {
  readonly #db: Database
  readonly #freePages: Statement<{ freelist_count: number }, []>
  constructor(db: Database) {
    this.#db = db
    this.#freePages = db.query<{ freelist_count: number }, []>("PRAGMA freelist_count")
  }

  /** Folds the WAL into the database and truncates it to zero bytes; false when a reader kept it from finishing. */
  checkpoint(): boolean {
    const r = this.#db.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get()!
    return r.busy === 0
  }

  freePages(): number {
    return this.#freePages.get()!.freelist_count
  }

  /** Returns up to `pages` free pages to the file system (needs auto_vacuum = INCREMENTAL); returns how many went. */
  releasePages(pages: number): number {
    const before = this.freePages()
    this.#db.run(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(pages))})`)
    return before - this.freePages()
  }

  optimize() {
    this.#db.run("PRAGMA optimize")
  }

  /** "ok", or the problems SQLite found (quick: O(N) without checking index contents, for start-up). */
  check(kind: "quick" | "full", maxErrors = 20): string[] {
    const rows = this.#db.query<Record<string, string>, []>(`PRAGMA ${kind === "quick" ? "quick_check" : "integrity_check"}(${maxErrors})`).all()
    return rows.map((r) => Object.values(r)[0]!)
  }

  /** AUTOINCREMENT's high-water marks: where each table's next id comes from. */
  sequences(): { name: string; seq: number }[] {
    return this.#db.query<{ name: string; seq: number }, []>("SELECT name, seq FROM sqlite_sequence ORDER BY name").all()
  }

  foreignKeyProblems(): { table: string; rowid: number | null; parent: string }[] {
    return this.#db.query<{ table: string; rowid: number | null; parent: string }, []>("PRAGMA foreign_key_check").all()
  }
}

export const create = (db: Database) => new Maintenance(db)

export type Store = Maintenance
