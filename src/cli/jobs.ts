import * as Config from "../config"
import { UsageError } from "../errors"
import { createJobScheduler } from "../jobs"
import { createBlobs } from "../artifacts/blobs"
import { createLogger } from "../log"
import { HOME_OPTION, JSON_OPTION, jsonOnlyFor, out, parse, printJson, subcommand, timestamp } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive jobs list [--json] [--home DIR]
       hive jobs run NAME [--home DIR]

  list   every scheduled job: schedule, next run, last result
  run    run one job now and print its result (works with or without a server running;
         a job already running, here or in the server, is refused)

Jobs (schedules from HIVE_SCHEDULE_<NAME>: an interval like 1h or a cron expression like "0 3 * * *"):
  check-sessions      every 1m    sessions whose Claude Code process is gone become dead (pid and start
                                  time checked, so a reused pid is not mistaken for it); past expires_at: expired
  time-out-questions  every 1m    questions past their deadline become timed_out
  prune-messages      every 1h    delivered messages older than 30d (HIVE_RETAIN_MESSAGES)
  prune-events        every 1h    events older than 7d (HIVE_RETAIN_EVENTS)
  prune-turn-stats    every 1h    turn stats older than 90d (HIVE_RETAIN_TURN_STATS)
  prune-sessions      every 1h    dead, ended and expired sessions unchanged for 30d, with their events, artifacts
                                  and transcript index (HIVE_RETAIN_SESSIONS)
  prune-stale         every 1h    expired reply tokens and pairing windows, SDK session-map entries unused for 30d
                                  (HIVE_RETAIN_SDK_SESSIONS), job runs older than 30d
  prune-artifacts     every 1h    artifact files no row refers to (deleted sessions, interrupted uploads)
  vacuum              every 1h    checkpoint the WAL, give free pages back to the disk
  optimize            30 4 * * *  PRAGMA optimize
  backup              0 3 * * *   verified copy in backups/, newest 7 kept (HIVE_BACKUP_KEEP,
                                  HIVE_BACKUP_ENCRYPT=true to encrypt it)

Options:
  --json        list: the jobs as GET /api/jobs answers them
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help`

const when = (ms: number | null | undefined) => (ms ? timestamp(ms) : "-")

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive jobs", argv, { ...HOME_OPTION, ...JSON_OPTION })
  if (values.help) return (out(help), 0)
  const { sub, arg: name } = subcommand("hive jobs", positionals, { list: null, run: { arg: "job NAME", from: "hive jobs list" } })
  jsonOnlyFor(`hive jobs ${sub}`, values.json, sub === "list", "hive jobs list")
  const config = Config.load({ home: values.home })
  const logger = createLogger(config.logLevel)
  const { db, stores, keys } = await prepare(config, logger)
  try {
    const blobs = createBlobs(config.home)
    const scheduler = createJobScheduler({ db, stores, keys, blobs, jobs: config.jobs, backupsDir: config.backupsDir, logger })
    if (sub === "list") {
      if (values.json) return (printJson({ items: scheduler.status() }), 0)
      out(`${"JOB".padEnd(20)}  ${"SCHEDULE".padEnd(12)}  ${"NEXT RUN".padEnd(20)}  ${"LAST RUN".padEnd(20)}  LAST RESULT`)
      for (const j of scheduler.status()) {
        const last = j.last_run
        const result = j.running ? "running" : !last ? "never run" : last.error ? `failed: ${last.error}` : `ok, ${last.rows_affected} affected`
        out(`${j.name.padEnd(20)}  ${j.schedule.padEnd(12)}  ${when(j.next_run_at).padEnd(20)}  ${when(last?.started_at).padEnd(20)}  ${result}`)
      }
      return 0
    }
    if (!scheduler.names().includes(name)) throw new UsageError(`hive jobs run: no job "${name}"; jobs: ${scheduler.names().join(", ")}`)
    const result = await scheduler.run(name)
    if (result.error) {
      out(`job ${name} failed after ${result.finished_at - result.started_at} ms: ${result.error}`)
      return 1
    }
    out(`job ${name}: ${result.rows_affected} affected in ${result.finished_at - result.started_at} ms`)
    return 0
  } finally {
    db.close()
  }
}
