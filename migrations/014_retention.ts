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
    db.run("DROP INDEX IF EXISTS events_by_kind")
    db.run("DROP INDEX IF EXISTS events_by_ts")

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
