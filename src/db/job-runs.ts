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

const COLS = "id, job, started_at, finished_at, rows_affected, error, pid, trigger"

function statements(db: Database) {
  return {
    unfinished: db.query<JobRun, [string]>(`SELECT ${COLS} FROM job_runs WHERE job = ? AND finished_at IS NULL`),
    abandon: db.query("UPDATE job_runs SET finished_at = ?, error = ? WHERE id = ?"),
    insert: db.query<JobRun, [string, number, number, string]>(`INSERT INTO job_runs (job, started_at, pid, trigger) VALUES (?, ?, ?, ?) RETURNING ${COLS}`),
    finish: db.query("UPDATE job_runs SET finished_at = ?, rows_affected = ?, error = ? WHERE id = ?"),
    last: db.query<JobRun, [string]>(`SELECT ${COLS} FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1`),
    recent: db.query<JobRun, [string, number]>(`SELECT ${COLS} FROM job_runs WHERE (?1 = '' OR job = ?1) ORDER BY id DESC LIMIT ?2`),
    prune: db.query("DELETE FROM job_runs WHERE id IN (SELECT id FROM job_runs WHERE started_at < ? AND finished_at IS NOT NULL LIMIT ?)"),
  }
}

/** The journal of job runs: one row a run, and the cross-process guard that keeps a job from overlapping itself. */
export class JobRuns {
  readonly #db: Database
  readonly #q: ReturnType<typeof statements>
  readonly #alive: (pid: number) => boolean
  constructor(db: Database, alive: (pid: number) => boolean = processAlive) {
    this.#db = db
    this.#q = statements(db)
    this.#alive = alive
  }

  /**
   * Records the start of a run, or refuses (409) while another live process is running the same job.
   * A run left unfinished by a process that died is closed as interrupted first.
   */
  begin(job: string, now: number, trigger: JobRun["trigger"], pid = process.pid): JobRun {
    return immediate(this.#db, () => {
      for (const run of this.#q.unfinished.all(job)) {
        if (this.#alive(run.pid)) throw conflict(`job ${job} is already running (started ${new Date(run.started_at).toISOString()} by process ${run.pid})`)
        this.#q.abandon.run(now, `interrupted: process ${run.pid} ended before the run finished`, run.id)
      }
      return this.#q.insert.get(job, now, pid, trigger)!
    })
  }

  finish(id: number, now: number, rows: number | null, error: string | null) {
    this.#q.finish.run(now, rows, error, id)
  }

  last(job: string): JobRun | undefined {
    return this.#q.last.get(job) ?? undefined
  }

  recent(job: string | undefined, limit: number): JobRun[] {
    return this.#q.recent.all(job ?? "", limit)
  }

  /** Deletes up to `limit` finished runs started before `before`; returns how many. */
  prune(before: number, limit: number): number {
    return this.#q.prune.run(before, limit).changes
  }
}

export const create = (db: Database, alive?: (pid: number) => boolean) => new JobRuns(db, alive)

export type Store = JobRuns
