import * as Config from "../config"
import { FatalError } from "../errors"
import { close } from "../db/open"
import { schemaVersion } from "../db/migrate"
import { createLogger } from "../log"
import { createAdminApp } from "../server"
import { createJobScheduler } from "../jobs"
import { createBlobs } from "../artifacts/blobs"
import { clearRunning, markRunning } from "./server-lock"
import { HOME_OPTION, noExtra, parse } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive serve [--port 7420] [--host 127.0.0.1] [--home DIR]

Checks the database (quick_check; a damaged one is refused and left untouched), applies pending
migrations, then serves the REST API and runs the scheduled jobs (retention, vacuum, daily backup:
see \`hive jobs --help\`) until SIGINT or SIGTERM (in-flight requests and a job under way finish,
the database closes cleanly).

Options:
  --port N      port to listen on (default 7420, env HIVE_PORT; 0 picks a free one)
  --host ADDR   address to bind (default 127.0.0.1, env HIVE_HOST)
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help

Environment:
  HIVE_MASTER_KEY       base64 master key (else the key file below)
  HIVE_MASTER_KEY_FILE  key file (default $XDG_CONFIG_HOME/hive/master.key)
  HIVE_MAX_BODY_BYTES   request body limit (default 1048576)
  HIVE_LOG_LEVEL        debug | info | warn | error (default info)`

const GRACE_MS = 10_000

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive serve", argv, {
    ...HOME_OPTION,
    port: { type: "string" },
    host: { type: "string" },
  })
  if (values.help) return console.log(help), 0
  noExtra("hive serve", positionals)
  const config = Config.load({ home: values.home, host: values.host, port: values.port })
  const logger = createLogger(config.logLevel)
  const phases: string[] = [`load ${performance.now().toFixed(1)}`]
  const mark = (name: string) => phases.push(`${name} ${performance.now().toFixed(1)}`)
  const { db, stores, auth, vault, keys } = await prepare(config, logger, {
    verify: true,
    onBackup: (path) => logger.info(`backed up the database to ${path} before migrating`),
    onApplied: (r) => logger.info(`applied migration ${r.id} (${r.durationMs} ms)`),
  })
  mark("prepared")
  const blobs = createBlobs(config.home)
  const scheduler = createJobScheduler({ db, stores, keys, blobs, jobs: config.jobs, backupsDir: config.backupsDir, logger })
  const shutdown = new AbortController()
  const app = createAdminApp({
    db,
    stores,
    auth,
    vault,
    logger,
    version: config.version,
    maxBodyBytes: config.maxBodyBytes,
    maxArtifactBytes: config.maxArtifactBytes,
    blobs,
    paths: { dbPath: config.dbPath, backupsDir: config.backupsDir },
    claudeDir: config.claudeDir,
    host: config.host,
    streams: { heartbeatMs: config.sseHeartbeatMs, maxStreams: config.maxStreams, shutdown: shutdown.signal },
    scheduler,
  })

  // No maxRequestBodySize near our limit: Bun would answer a declared Content-Length over it with an empty
  // 413 before hive sees the request. The app refuses those on the header, and counts bytes of chunked bodies.
  try {
    app.listen({
      port: config.port,
      hostname: config.host,
      // Elysia defaults to SO_REUSEPORT: a second `hive serve` would silently share the port (and the
      // traffic) with the first instead of failing. One port, one server.
      reusePort: false,
      development: false,
      // Bun's own cap (default 128 MiB) must sit well above both of hive's limits, so hive's JSON 413 answers first.
      maxRequestBodySize: 2 * Math.max(config.maxArtifactBytes, config.maxBodyBytes),
    })
  } catch (err) {
    close(db)
    const code = (err as NodeJS.ErrnoException).code
    if (code === "EADDRINUSE") throw new FatalError(`${config.host}:${config.port} is already in use (is hive already running?); pick another with --port`)
    if (code === "EADDRNOTAVAIL" || code === "EACCES") throw new FatalError(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`)
    throw err
  }
  const server = app.server!
  markRunning(config.home, `http://${config.host}:${server.port}`)
  // Off the start-up path: planning the first cron run costs ~10 ms (croner's first date arithmetic), and
  // nothing is due this early anyway (interval jobs first run 30 s after start, cron jobs at their hour).
  const startJobs = setTimeout(() => scheduler.start(), 1000)
  startJobs.unref()
  mark("listening")
  logger.debug(`start-up, ms since process start: ${phases.join(", ")}`)
  logger.info(`hive ${config.version} listening on http://${config.host}:${server.port} (home ${config.home}, schema ${schemaVersion(db)})`)

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal}: finishing in-flight requests, then closing the database`)
      shutdown.abort() // live event streams end; requests in flight still finish
      clearTimeout(startJobs)
      scheduler.stop() // no new job runs; one under way finishes below
      const force = setTimeout(() => server.stop(true), GRACE_MS)
      force.unref()
      Promise.resolve(server.stop(false)).finally(() => {
        clearTimeout(force)
        resolve()
      })
    }
    process.once("SIGINT", () => stop("SIGINT"))
    process.once("SIGTERM", () => stop("SIGTERM"))
  })
  await scheduler.drain()
  close(db)
  clearRunning(config.home)
  logger.info("stopped")
  return 0
}
