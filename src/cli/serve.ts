import * as Config from "../config"
import { FatalError } from "../errors"
import { close } from "../db/open"
import { createCheckpointer } from "../db/checkpointer"
import { schemaVersion } from "../db/migrate"
import { both, createLogger, dailyFileSink } from "../log"
import { createHive } from "../hive"
import { listenFront, type Served } from "../front"
import { clearRunning, markCleanStop, markRunning, takeCleanStop } from "./server-lock"
import { HOME_OPTION, noExtra, parse } from "./args"
import { prepare } from "./home"
import { serveTunnel } from "../tunnel"

export const help = `Usage: hive serve [--port 7420] [--host 127.0.0.1] [--tunnel] [--home DIR]

Checks the database (quick_check, and its schema against hive's, unless the file is exactly as the
last clean stop left it; a damaged one is refused and left untouched), applies pending migrations, then
serves the REST API and runs the scheduled jobs (retention, vacuum, daily backup: see \`hive jobs --help\`)
until SIGINT or SIGTERM (in-flight requests and a job under way finish, the database closes cleanly).
/health answers as soon as the database is ready; the API loads on its first request (~40 ms, once).

Options:
  --port N        admin API port (default 7420, env HIVE_PORT; 0 picks a free one, for both listeners)
  --phone-port N  phone listener port: pairing and the phone API, what a tunnel points at
                  (default 7421, env HIVE_PHONE_PORT)
  --host ADDR     address to bind (default 127.0.0.1, env HIVE_HOST)
  --tunnel        open a tunnel to the phone listener so a phone reaches it from anywhere (also: the
                  tunnel.enabled preference); see \`hive tunnel --help\`
  --home DIR      data home (default ~/.hive, env HIVE_HOME)
  -h, --help      show this help

Environment:
  HIVE_MASTER_KEY       base64 master key (else the key file below)
  HIVE_MASTER_KEY_FILE  key file (default $XDG_CONFIG_HOME/hive/master.key)
  HIVE_MAX_BODY_BYTES   request body limit (default 1048576)
  HIVE_LOG_LEVEL        debug | info | warn | error (default info)
  HIVE_TUNNEL_SERVER    the localtunnel server (default https://lt.desplega.ai)
  HIVE_TUNNEL_PROBE_INTERVAL  how often the tunnel's public URL is checked (default 30s)`

const GRACE_MS = 10_000
/** After the grace: closing the database (a checkpoint) and the workers. */
const CLOSE_MS = 5_000

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive serve", argv, {
    ...HOME_OPTION,
    port: { type: "string" },
    "phone-port": { type: "string" },
    host: { type: "string" },
    tunnel: { type: "boolean" },
  })
  if (values.help) return (console.log(help), 0)
  noExtra("hive serve", positionals)
  const config = Config.load({ home: values.home, host: values.host, port: values.port, phonePort: values["phone-port"] })
  const toStderr = (line: string) => void process.stderr.write(line)
  const logger = createLogger(
    config.logLevel,
    // The file first: a line seen on the terminal is already on disk.
    both(
      dailyFileSink(config.logsDir, config.logKeep, (why) => toStderr(`hive: the log file in ${config.logsDir} stopped: ${why}\n`)),
      toStderr,
    ),
  )
  const phases: string[] = [`load ${performance.now().toFixed(1)}`]
  const mark = (name: string) => phases.push(`${name} ${performance.now().toFixed(1)}`)
  // The quick_check reads the whole file: skipped only for the very file the last clean stop left.
  const cleanStop = takeCleanStop(config.home, config.dbPath)
  if (cleanStop) logger.debug(`${config.dbPath} is as the last clean stop left it: no start-up quick_check or schema comparison`)
  const prepared = await prepare(config, logger, {
    verify: !cleanStop,
    leftClean: cleanStop,
    onBackup: (path) => logger.info(`backed up the database to ${path} before migrating`),
    onApplied: (r) => logger.info(`applied migration ${r.id} (${r.durationMs} ms)`),
  })
  const db = prepared.db
  mark("prepared")
  const shutdown = new AbortController()
  let phoneUrl = `http://${config.host}:${config.phonePort}`
  let tunnel: Awaited<ReturnType<typeof serveTunnel>> = null
  const hive = createHive(config, prepared, logger, {
    // Through the tunnel while it is up (a phone anywhere can open that), else the listener itself.
    phoneBaseUrl: () => tunnel?.phoneUrl() ?? phoneUrl,
    shutdown: shutdown.signal,
    // The MCP SDK loads on the first /mcp request, not at start-up.
    mcp: async (o) => (await import("../mcp/http")).serveMcp(o),
  })
  const orphans = prepared.stores.broker.withdrawHeldApprovals("hive restarted: Claude Code asked at its own prompt")
  if (orphans) logger.info(`withdrew ${orphans} permission prompt approval(s) the last server held open`)
  const scheduler = hive.scheduler
  const checkpointer = createCheckpointer(db, config.dbPath, { logger, writtenElsewhere: () => hive.ingest.rowsOffThread })
  // The apps (Elysia and every route) load on each listener's first request but /health: see src/front.ts.
  const apps = () => import("../server")

  // No maxRequestBodySize near our limit: Bun would answer a declared Content-Length over it with an empty
  // 413 before hive sees the request. The app refuses those on the header, and counts bytes of chunked bodies.
  let adminServer: ReturnType<typeof listenFront> | undefined
  const listen = (port: number, what: string, build: () => Promise<Served>, phone = false) => {
    try {
      return listenFront(hive, {
        port,
        hostname: config.host,
        anyHost: phone,
        public: phone,
        build,
        // Bun's own cap (default 128 MiB) must sit well above both of hive's limits, so hive's JSON 413 answers first.
        maxRequestBodySize: 2 * Math.max(config.maxArtifactBytes, config.maxBodyBytes, config.maxImportBytes),
      })
    } catch (err) {
      adminServer?.stop(true)
      close(db)
      const code = (err as NodeJS.ErrnoException).code
      if (code === "EADDRINUSE")
        throw new FatalError(
          `${config.host}:${port} is already in use (is hive already running?); pick another port for the ${what} with ${what === "admin API" ? "--port" : "--phone-port"}`,
        )
      if (code === "EADDRNOTAVAIL" || code === "EACCES") throw new FatalError(`cannot listen on ${config.host}:${port}: ${(err as Error).message}`)
      throw err
    }
  }
  const server = (adminServer = listen(config.port, "admin API", async () => (await apps()).createAdminApp(hive)))
  // With --port 0 (tests, several servers side by side) the phone listener picks a free port too.
  const phonePort = values["phone-port"] !== undefined || config.port !== 0 ? config.phonePort : 0
  const phoneServer = listen(phonePort, "phone listener", async () => (await apps()).createPhoneApp(hive), true)
  phoneUrl = `http://${config.host}:${phoneServer.port}`
  markRunning(config.home, `http://${config.host}:${server.port}`, phoneUrl)
  tunnel = await serveTunnel({
    flag: values.tunnel ?? false,
    config: config.tunnel,
    stores: prepared.stores,
    vault: prepared.vault,
    logger,
    localHost: config.host,
    localPort: phoneServer.port!,
  })
  // Off the start-up path: planning the first cron run costs ~10 ms (croner's first date arithmetic), and
  // nothing is due this early anyway (interval jobs first run 30 s after start, cron jobs at their hour).
  const startJobs = setTimeout(() => scheduler.start(), 1000)
  startJobs.unref()
  // Follows the event table from here on: what happened while hive was down is not news any more.
  hive.notifier.start()
  mark("listening")
  logger.debug(`start-up, ms since process start: ${phases.join(", ")}`)
  logger.info(
    `hive ${config.version} listening on http://${config.host}:${server.port} (phone listener ${phoneUrl}; home ${config.home}, schema ${schemaVersion(db)})`,
  )

  let tunnelClosed: Promise<void> | undefined
  let notifierStopped: Promise<void> | undefined
  let stoppingAt = 0
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      stoppingAt = Date.now()
      logger.info(`${signal}: finishing in-flight requests, then closing the database`)
      // Whatever is still under way after the grace (and the close that follows), the process ends: every
      // acknowledged write is already committed, and SQLite's WAL needs no clean close to be sound.
      const last = setTimeout(() => {
        logger.error(`still stopping after ${(GRACE_MS + CLOSE_MS) / 1000} s; exiting now`)
        process.exit(1)
      }, GRACE_MS + CLOSE_MS)
      last.unref()
      shutdown.abort() // live event streams end; requests in flight still finish
      clearTimeout(startJobs)
      scheduler.stop() // no new job runs; one under way stops at its next pause
      notifierStopped = hive.notifier.stop() // nothing new is sent; a send under way has a moment to finish
      tunnelClosed = tunnel?.stop() // no new requests from outside; the listeners finish what is under way
      const force = setTimeout(() => {
        server.stop(true)
        phoneServer.stop(true)
      }, GRACE_MS)
      force.unref()
      Promise.all([server.stop(false), phoneServer.stop(false)]).finally(() => {
        clearTimeout(force)
        resolve()
      })
    }
    process.once("SIGINT", () => stop("SIGINT"))
    process.once("SIGTERM", () => stop("SIGTERM"))
  })
  // Every request has been answered, so the event writer has nothing in flight; its connection closes first.
  // A job stops at its next pause; one that cannot (a backup mid-copy) is not waited for past the grace.
  await Promise.all([
    scheduler.drain(Math.max(0, GRACE_MS - (Date.now() - stoppingAt))),
    tunnelClosed,
    notifierStopped,
    hive.ingest.stop(),
    checkpointer.stop(),
  ])
  prepared.stores.tunnel.clear(process.pid)
  close(db)
  markCleanStop(config.home, config.dbPath)
  clearRunning(config.home)
  logger.info("stopped")
  return 0
}
