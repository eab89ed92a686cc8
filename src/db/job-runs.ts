import type { Database } from "bun:sqlite"
import { processAlive } from "../process"
import { conflict } from "../errors"
import { immediate } from "./tx"

export type JobRun = {
  id: number
  job: string
  started_at: number
  finished_at: number | null
  rows_affected: number | null
  error: string | null
  pid: number
  trigger: "schedule" | "manual"
}

/** The journal of job runs: one row a run, and the cross-process guard that keeps a job from overlapping itself. */
export function create(db: Database, alive: (pid: number) => boolean = processAlive) {
  const cols = "id, job, started_at, finished_at, rows_affected, error, pid, trigger"
  const unfinished = db.query<JobRun, [string]>(`SELECT ${cols} FROM job_runs WHERE job = ? AND finished_at IS NULL`)
  const abandon = db.query("UPDATE job_runs SET finished_at = ?, error = ? WHERE id = ?")
  const insert = db.query<JobRun, [string, number, number, string]>(
    `INSERT INTO job_runs (job, started_at, pid, trigger) VALUES (?, ?, ?, ?) RETURNING ${cols}`,
  )
  const finish = db.query("UPDATE job_runs SET finished_at = ?, rows_affected = ?, error = ? WHERE id = ?")
  const last = db.query<JobRun, [string]>(`SELECT ${cols} FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1`)
  const recent = db.query<JobRun, [string, number]>(`SELECT ${cols} FROM job_runs WHERE (?1 = '' OR job = ?1) ORDER BY id DESC LIMIT ?2`)
  const prune = db.query("DELETE FROM job_runs WHERE id IN (SELECT id FROM job_runs WHERE started_at < ? AND finished_at IS NOT NULL LIMIT ?)")
  return {
    /**
     * Records the start of a run, or refuses (409) while another live process is running the same job.
     * A run left unfinished by a process that died is closed as interrupted first.
     */
    begin(job: string, now: number, trigger: JobRun["trigger"], pid = process.pid): JobRun {
      return immediate(db, () => {
        for (const run of unfinished.all(job)) {
          if (alive(run.pid)) throw conflict(`job ${job} is already running (started ${new Date(run.started_at).toISOString()} by process ${run.pid})`)
          abandon.run(now, `interrupted: process ${run.pid} ended before the run finished`, run.id)
        }
        return insert.get(job, now, pid, trigger)!
      })
    },
    finish: (id: number, now: number, rows: number | null, error: string | null) => void finish.run(now, rows, error, id),
    last: (job: string) => last.get(job) ?? undefined,
    recent: (job: string | undefined, limit: number) => recent.all(job ?? "", limit),
    /** Deletes up to `limit` finished runs started before `before`; returns how many. */
    prune: (before: number, limit: number) => prune.run(before, limit).changes,
  }
}

export type Store = ReturnType<typeof create>
