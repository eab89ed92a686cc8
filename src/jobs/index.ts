import type { Database } from "bun:sqlite"
import type { JobsConfig } from "../config"
import { parseDuration } from "../config"
import type { Stores } from "../db/stores"
import type { Logger } from "../log"
import type { Keys } from "../secrets/keys"
import type { Blobs } from "../artifacts/blobs"
import { backupKey, backupOffThread } from "./backup"
import { checkSessions } from "./liveness"
import * as Retention from "./retention"
import { createScheduler, parseSchedule, type Job, type Schedule } from "./scheduler"

export type JobDeps = { db: Database; stores: Stores; keys: Keys; blobs: Blobs; jobs: JobsConfig; backupsDir: string; logger: Logger }

/** Every scheduled job, by name; each is a plain function of `now` a test can call directly. */
export function createJobs({ db, stores, keys, blobs, jobs: config, backupsDir, logger }: JobDeps): Job[] {
  // Read on every run: a `retention.*` preference changed at run time applies from the next prune.
  const ages = () => Retention.retentionAges(config, (key) => stores.preferences.value(key))
  return [
    {
      name: "check-sessions",
      description: "sessions whose Claude Code process is gone become dead; those past expires_at, expired",
      run: (now) => checkSessions(stores.sessions, now),
    },
    {
      name: "time-out-questions",
      description: "questions past their deadline become timed_out (never deleted)",
      run: (now) => stores.broker.timeOutQuestions(now),
    },
    {
      name: "prune-messages",
      description: "delete delivered messages older than the retention age",
      run: (now, signal, report) => Retention.pruneMessages(stores.broker, now, ages().messagesMs, Retention.cancellable(signal, report)),
    },
    {
      name: "prune-events",
      description: "delete events older than the retention age",
      run: (now, signal, report) => Retention.pruneEvents(stores.events, now, ages().eventsMs, Retention.cancellable(signal, report)),
    },
    {
      name: "prune-turn-stats",
      description: "delete turn stats older than the retention age",
      run: (now, signal, report) => Retention.pruneTurnStats(stores.turnStats, now, ages().turnStatsMs, Retention.cancellable(signal, report)),
    },
    {
      name: "prune-sessions",
      description: "delete dead, ended and expired sessions unchanged for the retention age, with their events, artifacts and transcript index",
      run: (now, signal, report) => Retention.pruneSessions(stores.sessions, now, ages().sessionsMs, Retention.cancellable(signal, report)),
    },
    {
      name: "prune-stale",
      description: "delete expired reply tokens and pairing windows, unused SDK session-map entries and old job runs",
      run: (now, signal, report) => Retention.pruneStale(stores, now, ages(), Retention.cancellable(signal, report)),
    },
    {
      name: "prune-artifacts",
      description: "delete artifact files no row refers to (deleted sessions, interrupted uploads)",
      run: (now, signal, report) => Retention.pruneArtifactFiles(stores.artifacts, blobs, now, Retention.cancellable(signal, report)),
    },
    {
      name: "vacuum",
      description: "checkpoint the WAL and give free pages back to the disk",
      run: (_now, signal, report) => Retention.reclaim(stores.maintenance, Retention.cancellable(signal, report)),
    },
    {
      name: "optimize",
      description: "refresh the query planner's statistics (PRAGMA optimize)",
      run: () => {
        stores.maintenance.optimize()
        return 0
      },
    },
    {
      name: "backup",
      description: `verified copy of the database in backups/, keeping the newest ${config.backupKeep}`,
      run: async (_now, _signal, report) => {
        // One VACUUM INTO in a worker: it cannot say how far it is, only what it is doing.
        report({ phase: "copying the database and checking the copy" })
        const seal = config.backupEncrypt ? backupKey(keys) : undefined
        const result = await backupOffThread({ dbPath: db.filename, dir: backupsDir, keep: config.backupKeep, seal })
        logger.info(`backed up the database to ${result.path}${result.removed.length ? ` (removed ${result.removed.length} older)` : ""}`)
        return 1 + result.removed.length
      },
    },
  ]
}

/** The jobs with their configured schedules; a bad schedule is a clear error at start-up. */
export function createJobScheduler(deps: JobDeps, opts?: Parameters<typeof createScheduler>[4]) {
  const jobs = createJobs(deps)
  const schedules: Record<string, Schedule> = {}
  for (const job of jobs) schedules[job.name] = parseSchedule(job.name, deps.jobs.schedules[job.name] ?? "1h", parseDuration)
  return createScheduler(jobs, schedules, deps.stores.jobRuns, deps.logger, opts)
}
