import type { Database } from "bun:sqlite"

/** Whole-database upkeep and checks: the vacuum and optimize jobs, `hive doctor`, `hive serve`'s start check. */
export function create(db: Database) {
  const freePages = db.query<{ freelist_count: number }, []>("PRAGMA freelist_count")
  return {
    /** Folds the WAL into the database and truncates it to zero bytes; false when a reader kept it from finishing. */
    checkpoint(): boolean {
      const r = db.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get()!
      return r.busy === 0
    },
    freePages: () => freePages.get()!.freelist_count,
    /** Returns up to `pages` free pages to the file system (needs auto_vacuum = INCREMENTAL); returns how many went. */
    releasePages(pages: number): number {
      const before = freePages.get()!.freelist_count
      db.run(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(pages))})`)
      return before - freePages.get()!.freelist_count
    },
    optimize: () => void db.run("PRAGMA optimize"),
    /** "ok", or the problems SQLite found (quick: O(N) without checking index contents, for start-up). */
    check(kind: "quick" | "full", maxErrors = 20): string[] {
      const rows = db.query<Record<string, string>, []>(`PRAGMA ${kind === "quick" ? "quick_check" : "integrity_check"}(${maxErrors})`).all()
      return rows.map((r) => Object.values(r)[0]!)
    },
    /** AUTOINCREMENT's high-water marks: where each table's next id comes from. */
    sequences: () => db.query<{ name: string; seq: number }, []>("SELECT name, seq FROM sqlite_sequence ORDER BY name").all(),
    foreignKeyProblems: () => db.query<{ table: string; rowid: number | null; parent: string }, []>("PRAGMA foreign_key_check").all(),
  }
}

export type Store = ReturnType<typeof create>
