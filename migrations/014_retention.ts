import type { Database } from "bun:sqlite"
import type { Migration } from "../src/db/migrate"

// Retention (seed 002, issue 7): the job_runs journal, leaner event indexes and incremental vacuum.
export default {
  name: "retention",
  up({ db, afterCommit }) {
    // Each run of a scheduled job (or `hive jobs run`): one row, so `hive jobs list` can show the last
    // result and a second process can see a run still under way (pid) instead of overlapping it.
    db.run(`CREATE TABLE IF NOT EXISTS job_runs (
      id INTEGER PRIMARY KEY,
      job TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      rows_affected INTEGER,
      error TEXT,
      pid INTEGER NOT NULL,
      trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual'))
    ) STRICT`)
    db.run("CREATE INDEX IF NOT EXISTS job_runs_by_job ON job_runs (job, id)")

    // Event ingest is the hottest write path, and every secondary index is paid on every row: the kind and
    // ts indexes cost a third of batch throughput. Kind filters now scan bounded id windows, and the age
    // prune walks the table by id range in small chunks, so neither needs an index of its own.
    //
    // Retention makes a second change necessary: ids are cursors (SSE Last-Event-ID, inbox acks), and without
    // AUTOINCREMENT SQLite hands out max(id)+1, so once a prune or purge deletes the newest rows (a quiet week
    // deletes them all) old ids come back and a resuming client silently skips the new rows that reuse them.
    // Both tables are rebuilt with AUTOINCREMENT (ids never reused; ~10% of batch ingest, paid for correctness).
    rebuild(
      db,
      "events",
      `(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ts INTEGER NOT NULL,
      agent TEXT,
      session_id TEXT,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload))
    ) STRICT`,
      [
        "CREATE INDEX events_by_agent ON events (agent, id) WHERE agent IS NOT NULL",
        "CREATE INDEX events_by_session ON events (session_id, id) WHERE session_id IS NOT NULL",
      ],
    )
    rebuild(
      db,
      "messages",
      `(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      sender TEXT NOT NULL,
      recipient TEXT NOT NULL,
      body TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      delivered_at INTEGER
    ) STRICT`,
      [
        "CREATE INDEX messages_undelivered ON messages (recipient, id) WHERE delivered_at IS NULL",
        "CREATE INDEX messages_by_sender ON messages (sender, id)",
        "CREATE INDEX messages_by_recipient ON messages (recipient, id)",
        "CREATE INDEX messages_delivered ON messages (delivered_at) WHERE delivered_at IS NOT NULL",
      ],
    )

    // Pruned pages go back to the file system (PRAGMA incremental_vacuum, run by the vacuum job) instead of
    // sitting in the free list forever. The mode is stored now, but only a VACUUM, which cannot run inside
    // the migration's transaction, converts an existing file. Idempotent, so a crash before it just repeats it.
    db.run("PRAGMA auto_vacuum = INCREMENTAL")
    afterCommit(() => {
      if (db.query<{ auto_vacuum: number }, []>("PRAGMA auto_vacuum").get()!.auto_vacuum !== 2) db.run("VACUUM")
    })
  },
  // No down: job history is harmless to keep, and dropping it would lose the audit of what the jobs did.
} satisfies Migration

/**
 * Recreates a table with a new definition, keeping every row and id (the columns are the same), then its
 * indexes. Skipped when the table already has AUTOINCREMENT: `up` runs again when resuming after a crash.
 */
function rebuild(db: Database, table: string, definition: string, indexes: string[]) {
  const sql = db.query<{ sql: string }, [string]>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)!.sql
  if (/AUTOINCREMENT/i.test(sql)) return
  db.run(`CREATE TABLE ${table}_rebuilt ${definition}`)
  db.run(`INSERT INTO ${table}_rebuilt SELECT * FROM ${table}`)
  db.run(`DROP TABLE ${table}`)
  db.run(`ALTER TABLE ${table}_rebuilt RENAME TO ${table}`)
  for (const index of indexes) db.run(index)
}
