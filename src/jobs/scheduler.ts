import { Cron } from "croner"
import type * as JobRuns from "../db/job-runs"
import { processAlive } from "../process"
import { HiveError, notFound } from "../errors"
import type { Logger } from "../log"

/**
 * A job is a function of `now` that returns how many rows (or files) it affected; it may await between chunks,
 * and stops at its next pause once `signal` is aborted (hive is stopping).
 */
/** How far a running job has got, as it last said: rows (or pages, files) done, the fraction behind it, its phase. */
export type JobProgress = { done: number; fraction: number | null; phase: string | null; updated_at: number }
export type Report = (progress: { done?: number; fraction?: number; phase?: string }) => void

export type Job = { name: string; description: string; run(now: number, signal: AbortSignal, report: Report): Promise<number> | number }

export type Schedule = { kind: "every"; ms: number; text: string } | { kind: "cron"; cron: Cron; text: string }

export type JobStatus = {
  name: string
  description: string
  schedule: string
  next_run_at: number
  running: boolean
  /** While it runs here: what it last reported (null before its first report, and when it is not running). */
  progress: JobProgress | null
  last_run: JobRuns.JobRun | null
}

export type RunResult = { job: string; rows_affected: number | null; error: string | null; started_at: number; finished_at: number }

/** How long after start-up an interval job that never ran waits: start-up stays fast, and a restart loop does no work. */
export const FIRST_RUN_DELAY_MS = 30_000

/** "1h" (an interval) or a five-field cron expression in local time; anything else is a clear error. */
export function parseSchedule(job: string, text: string, parseDuration: (name: string, raw: string) => number): Schedule {
  if (/^\d+[smhdw]$/.test(text.trim())) return { kind: "every", ms: parseDuration(`the schedule of ${job}`, text), text }
  try {
    return { kind: "cron", cron: new Cron(text, { paused: true }), text }
  } catch (err) {
    throw new HiveError(
      400,
      "bad_schedule",
      `the schedule of ${job} ("${text}") is neither an interval like 1h nor a cron expression: ${(err as Error).message}`,
    )
  }
}

/** When a job runs next, from its schedule and its last run (so the CLI and the server agree without talking). */
export function nextRun(schedule: Schedule, last: JobRuns.JobRun | undefined, now: number, startedAt = now, firstDelay = FIRST_RUN_DELAY_MS): number {
  if (schedule.kind === "cron") return schedule.cron.nextRun(new Date(now))?.getTime() ?? Number.MAX_SAFE_INTEGER
  if (!last) return Math.max(now, startedAt + firstDelay)
  return Math.max(now, last.started_at + schedule.ms)
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * Runs named jobs on their schedules inside `hive serve`. Timers are unref()ed (they never keep the process
 * alive); a job is re-armed only after its run ends, so it never overlaps itself, and job_runs keeps another
 * process (`hive jobs run`) from overlapping it too. A failing job is logged and recorded; nothing escapes.
 */
export function createScheduler(
  jobs: readonly Job[],
  schedules: Record<string, Schedule>,
  runs: JobRuns.Store,
  logger: Logger,
  opts: { clock?: () => number; firstRunDelayMs?: number } = {},
) {
  const clock = opts.clock ?? Date.now
  const firstDelay = opts.firstRunDelayMs ?? FIRST_RUN_DELAY_MS
  const byName = new Map(jobs.map((j) => [j.name, j]))
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  const planned = new Map<string, number>()
  const running = new Map<string, Promise<RunResult>>()
  const progress = new Map<string, JobProgress>()
  const startedAt = clock()
  let stopped = true
  const cancel = new AbortController()

  const get = (name: string) => {
    const job = byName.get(name)
    if (!job) throw notFound("job", name)
    return job
  }

  /** One run, recorded from start to finish. Throws only the 409 of a run already under way. */
  async function execute(job: Job, trigger: JobRuns.JobRun["trigger"]): Promise<RunResult> {
    const run = runs.begin(job.name, clock(), trigger)
    let rows: number | null = null
    let error: string | null = null
    try {
      const report: Report = (p) => {
        const before = progress.get(job.name)
        progress.set(job.name, {
          done: p.done ?? before?.done ?? 0,
          fraction: p.fraction ?? before?.fraction ?? null,
          phase: p.phase ?? before?.phase ?? null,
          updated_at: clock(),
        })
      }
      rows = await job.run(run.started_at, cancel.signal, report)
    } catch (err) {
      error = message(err)
      logger.error(`job ${job.name} failed: ${error}`)
    }
    const finishedAt = clock()
    try {
      runs.finish(run.id, finishedAt, rows, error)
    } catch (err) {
      logger.error(`job ${job.name}: could not record the end of its run: ${message(err)}`)
    }
    if (!error) logger.debug(`job ${job.name}: ${rows} affected in ${finishedAt - run.started_at} ms`)
    return { job: job.name, rows_affected: rows, error, started_at: run.started_at, finished_at: finishedAt }
  }

  function track(job: Job, trigger: JobRuns.JobRun["trigger"]) {
    const p = execute(job, trigger).finally(() => {
      running.delete(job.name)
      progress.delete(job.name)
    })
    running.set(job.name, p)
    return p
  }

  function arm(job: Job) {
    if (stopped) return
    let at: number
    try {
      at = nextRun(schedules[job.name]!, runs.last(job.name), clock(), startedAt, firstDelay)
    } catch (err) {
      // The database is unreachable right now (busy, disk trouble): try again in a minute rather than never.
      logger.error(`job ${job.name}: cannot plan its next run: ${message(err)}`)
      at = clock() + 60_000
    }
    planned.set(job.name, at)
    // setTimeout's limit is 2^31-1 ms (~24.8 days); a later run is re-planned when this one fires.
    const timer = setTimeout(() => tick(job), Math.min(Math.max(0, at - clock()), 2 ** 31 - 1))
    timer.unref()
    timers.set(job.name, timer)
  }

  async function tick(job: Job) {
    timers.delete(job.name)
    if (stopped) return
    if (clock() >= (planned.get(job.name) ?? 0) && !running.has(job.name)) {
      try {
        await track(job, "schedule")
      } catch (err) {
        // Another process is running it (409) or the journal is unwritable: skip this turn, say why.
        logger.warn(`job ${job.name} skipped: ${message(err)}`)
      }
    }
    arm(job)
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      for (const job of jobs) arm(job)
    },
    /** Stops planning runs; a run under way stops at its next pause (awaited by `drain`). */
    stop() {
      stopped = true
      cancel.abort()
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
    },
    /** Waits for the runs under way, at most `limitMs`: a job that cannot stop (one long statement) is not waited for. */
    async drain(limitMs = Number.POSITIVE_INFINITY): Promise<void> {
      let timer: ReturnType<typeof setTimeout> | undefined
      const limit = new Promise<void>((resolve) => {
        if (!Number.isFinite(limitMs)) return
        timer = setTimeout(resolve, limitMs)
        timer.unref() // a pending limit must not keep a stopping process alive
      })
      await Promise.race([Promise.allSettled([...running.values()]), limit])
      clearTimeout(timer)
    },
    /** Runs a job now, outside its schedule; a 409 if it is already running here or in another process. */
    async run(name: string): Promise<RunResult> {
      const job = get(name)
      if (running.has(name)) throw new HiveError(409, "conflict", `job ${name} is already running`)
      return track(job, "manual")
    },
    status(): JobStatus[] {
      const now = clock()
      return jobs.map((job) => {
        const last = runs.last(job.name)
        return {
          name: job.name,
          description: job.description,
          schedule: schedules[job.name]!.text,
          next_run_at: planned.get(job.name) ?? nextRun(schedules[job.name]!, last, now, startedAt, firstDelay),
          running: running.has(job.name) || (last !== undefined && last.finished_at === null && processAlive(last.pid)),
          progress: progress.get(job.name) ?? null,
          last_run: last ?? null,
        }
      })
    },
    names: () => jobs.map((j) => j.name),
  }
}

export type Scheduler = ReturnType<typeof createScheduler>
