import pkg from "../package.json" with { type: "json" }
import { UsageError } from "./errors"
import type { Level } from "./log"

export const VERSION: string = pkg.version

// node:path when first needed: the first node: module a process loads costs it about 2 ms, and `hive hook`
// (Claude Code waits for it) needs none for the usual absolute data home.
const nodePath = () => import.meta.require("node:path") as typeof import("node:path")
const join = (...parts: string[]) => nodePath().join(...parts)
const resolve = (...parts: string[]) => nodePath().resolve(...parts)
/** resolve(), without node:path for a path that already is absolute and normal. */
export const absolutePath = (path: string) => (/^(\/[^/]+)+$/.test(path) && !/\/\.\.?(\/|$)/.test(path) ? path : resolve(path))

export type Config = {
  version: string
  /** The data home: hive.db, artifacts/, backups/, logs/. */
  home: string
  dbPath: string
  backupsDir: string
  host: string
  port: number
  /** The phone listener (pairing, the phone page and API): what the tunnel points at, never the admin API. */
  phonePort: number
  /** How long a paired device's token lasts. */
  deviceTtlMs: number
  /** The master key lives outside the data home so a copy of ~/.hive never carries it. */
  masterKey: { base64?: string; file: string }
  maxBodyBytes: number
  /** Artifact uploads (a file, streamed to disk) have their own, larger limit. */
  maxArtifactBytes: number
  /** The largest export file the desk may upload to POST /api/import (the CLI reads any size). */
  maxImportBytes: number
  /** The body limit of Claude Code's http hooks (a Write of a big file makes a big hook input; it is kept slim). */
  maxHookBytes: number
  /** SSE: a heartbeat comment at least this often (Bun closes idle connections after 10 s). */
  sseHeartbeatMs: number
  /** SSE: concurrent event streams; one more gets a 503. */
  maxStreams: number
  /**
   * SSE: concurrent streams on the phone listener. Each holds one of the tunnel's sockets for as long as it
   * is open (localtunnel's server gives a client 10), so a cap below that keeps page loads and the tunnel's
   * own probe getting through.
   */
  phoneMaxStreams: number
  /** Test-only (HIVE_TEST_PUSH_HTTP): a push endpoint may be plain http, for a local push service. */
  pushAllowHttp: boolean
  logLevel: Level
  /** Where `hive serve` writes its log as well as stderr: one file a day, hive-YYYY-MM-DD.log (UTC). */
  logsDir: string
  /** How many daily log files are kept (HIVE_LOG_KEEP). */
  logKeep: number
  /** Test-only crash points (HIVE_TEST_FAULT); never set in normal use. */
  faultPoint?: string
  /** The terminal variables `hive hook` reads to tell how Claude Code runs (tmux, nvim, a tty). */
  transportEnv: { TMUX?: string; TMUX_PANE?: string; NVIM?: string; NVIM_LISTEN_ADDRESS?: string }
  /** The token `hive hook` and `hive mcp` talk to a running server with (HIVE_TOKEN); without one `hive hook` writes to the database. */
  token?: string
  /** How often an MCP tool that waits (ask_question, request_approval…) reports progress (HIVE_MCP_PROGRESS). */
  mcpProgressMs: number
  /** The running server `hive mcp` talks to (HIVE_URL); by default the one serving this data home (its serve.pid). */
  serverUrl?: string
  /** Claude Code's own folder (CLAUDE_CONFIG_DIR, else ~/.claude): its projects/ hold the session transcripts. */
  claudeDir: string
  /** Where the older tools left state that import migrations take over. */
  legacy: LegacyPaths
  jobs: JobsConfig
  tunnel: TunnelConfig
  /** The only directories the API may write a secret into (HIVE_MATERIALIZE_DIRS); none by default. The CLI is not bound by it. */
  materializeDirs: readonly string[]
}

/** The phone tunnel (`hive serve --tunnel`): which localtunnel server, and how often the public URL is probed. */
export type TunnelConfig = { server: string; probeIntervalMs: number }

/** How long each kind of row is kept (seed 002's retention rules are the defaults). */
export type Retention = { messagesMs: number; eventsMs: number; turnStatsMs: number; sdkSessionsMs: number; jobRunsMs: number; sessionsMs: number }

/** Each retention age's environment variable and preference key. */
export const RETENTION_SETTINGS: Record<keyof Retention, { variable: string; preference: string }> = {
  messagesMs: { variable: "HIVE_RETAIN_MESSAGES", preference: "retention.messages" },
  eventsMs: { variable: "HIVE_RETAIN_EVENTS", preference: "retention.events" },
  turnStatsMs: { variable: "HIVE_RETAIN_TURN_STATS", preference: "retention.turnStats" },
  sdkSessionsMs: { variable: "HIVE_RETAIN_SDK_SESSIONS", preference: "retention.sdkSessions" },
  jobRunsMs: { variable: "HIVE_RETAIN_JOB_RUNS", preference: "retention.jobRuns" },
  sessionsMs: { variable: "HIVE_RETAIN_SESSIONS", preference: "retention.sessions" },
}

/** What the scheduled jobs keep and when they run. */
export type JobsConfig = {
  /** A job's schedule by name: an interval ("1h") or a cron expression ("0 3 * * *", local time). */
  schedules: Record<string, string>
  retention: Retention
  /** The retention ages an environment variable set: they win over the `retention.*` preferences. */
  retentionFromEnv: (keyof Retention)[]
  /** Scheduled and manual backups kept in backups/ (the newest N; older ones are deleted). */
  backupKeep: number
  /** Whether the daily backup encrypts the whole file (with a key derived from the master key). */
  backupEncrypt: boolean
}

export type LegacyPaths = {
  /** The Claude-Code-Remote daemon's directory: data/claude-sessions.json, data/claude-tokens.json. */
  ccrDir: string
  /** claude-hooks state: gitlab-oauth-token.json, sessions.json. */
  stateDir: string
  /** claude-hooks config: tokens/<agent>, penpot-token. */
  configDir: string
  /** The Electron-era hive: preferences.json, paired-devices.json (the data home itself). */
  hiveDir: string
}

/** What a command line may override; everything else comes from the environment or defaults. */
export type Overrides = {
  home?: string
  host?: string
  port?: string
  phonePort?: string
  legacyCcrDir?: string
  legacyStateDir?: string
  legacyConfigDir?: string
}

type Env = Record<string, string | undefined>

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 7420,
  phonePort: 7421,
  deviceTtlMs: 90 * 86_400_000,
  maxBodyBytes: 1024 * 1024,
  maxArtifactBytes: 100 * 1024 * 1024,
  maxImportBytes: 1024 * 1024 * 1024,
  maxHookBytes: 64 * 1024 * 1024,
  sseHeartbeatMs: 5000,
  maxStreams: 256,
  phoneMaxStreams: 6,
  logLevel: "info" as Level,
  logKeep: 14,
  tunnelServer: "https://lt.desplega.ai",
  tunnelProbeIntervalMs: 30_000,
}

const DAY = 86_400_000
export const JOB_DEFAULTS = {
  schedules: {
    "check-sessions": "1m",
    "time-out-questions": "1m",
    "prune-messages": "1h",
    "prune-events": "1h",
    "prune-turn-stats": "1h",
    "prune-sessions": "1h",
    "prune-stale": "1h",
    "prune-artifacts": "1h",
    vacuum: "1h",
    optimize: "30 4 * * *",
    backup: "0 3 * * *",
  } as Record<string, string>,
  retention: { messagesMs: 30 * DAY, eventsMs: 7 * DAY, turnStatsMs: 90 * DAY, sdkSessionsMs: 30 * DAY, jobRunsMs: 30 * DAY, sessionsMs: 30 * DAY },
  backupKeep: 7,
}

const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"]

// node:os only where HOME is unset (see nodePath).
const userHomeOf = (env: Env) => env.HOME || (import.meta.require("node:os") as typeof import("node:os")).homedir()

/** What `hive hook` needs of the configuration. */
export type HookConfig = Pick<Config, "home" | "token" | "serverUrl" | "transportEnv">

/**
 * The part of `load` that `hive hook` reads: the rest (limits, schedules, the tunnel's URL parsed…) costs
 * the hook about a millisecond, and Claude Code waits for it.
 */
export function hookConfig(overrides: Pick<Overrides, "home"> = {}, env: Env = process.env): HookConfig {
  return {
    home: absolutePath(overrides.home ?? (env.HIVE_HOME || `${userHomeOf(env)}/.hive`)),
    token: env.HIVE_TOKEN || undefined,
    serverUrl: env.HIVE_URL ? parseServerUrl("HIVE_URL", env.HIVE_URL) : undefined,
    transportEnv: { TMUX: env.TMUX, TMUX_PANE: env.TMUX_PANE, NVIM: env.NVIM, NVIM_LISTEN_ADDRESS: env.NVIM_LISTEN_ADDRESS },
  }
}

/** Flags > environment > defaults. The only place that reads process.env. */
export function load(overrides: Overrides = {}, env: Env = process.env): Config {
  const hook = hookConfig(overrides, env)
  const home = hook.home
  const userHome = userHomeOf(env)
  const configHome = env.XDG_CONFIG_HOME || join(userHome, ".config")
  const stateHome = env.XDG_STATE_HOME || join(userHome, ".local", "state")
  const logLevel = (env.HIVE_LOG_LEVEL ?? DEFAULTS.logLevel) as Level
  if (!LEVELS.includes(logLevel)) throw new UsageError(`HIVE_LOG_LEVEL must be one of ${LEVELS.join(", ")}`)
  return {
    version: VERSION,
    home,
    dbPath: join(home, "hive.db"),
    backupsDir: join(home, "backups"),
    host: overrides.host ?? env.HIVE_HOST ?? DEFAULTS.host,
    port: parsePort(overrides.port ?? env.HIVE_PORT),
    phonePort: parsePort(overrides.phonePort ?? env.HIVE_PHONE_PORT, DEFAULTS.phonePort),
    deviceTtlMs: env.HIVE_DEVICE_TTL ? parseDuration("HIVE_DEVICE_TTL", env.HIVE_DEVICE_TTL) : DEFAULTS.deviceTtlMs,
    masterKey: { base64: env.HIVE_MASTER_KEY || undefined, file: env.HIVE_MASTER_KEY_FILE || join(configHome, "hive", "master.key") },
    maxBodyBytes: parsePositive("HIVE_MAX_BODY_BYTES", env.HIVE_MAX_BODY_BYTES) ?? DEFAULTS.maxBodyBytes,
    maxArtifactBytes: parsePositive("HIVE_MAX_ARTIFACT_BYTES", env.HIVE_MAX_ARTIFACT_BYTES) ?? DEFAULTS.maxArtifactBytes,
    maxImportBytes: parsePositive("HIVE_MAX_IMPORT_BYTES", env.HIVE_MAX_IMPORT_BYTES) ?? DEFAULTS.maxImportBytes,
    maxHookBytes: parsePositive("HIVE_MAX_HOOK_BYTES", env.HIVE_MAX_HOOK_BYTES) ?? DEFAULTS.maxHookBytes,
    sseHeartbeatMs: parsePositive("HIVE_SSE_HEARTBEAT_MS", env.HIVE_SSE_HEARTBEAT_MS) ?? DEFAULTS.sseHeartbeatMs,
    maxStreams: parsePositive("HIVE_MAX_STREAMS", env.HIVE_MAX_STREAMS) ?? DEFAULTS.maxStreams,
    phoneMaxStreams: parsePositive("HIVE_PHONE_MAX_STREAMS", env.HIVE_PHONE_MAX_STREAMS) ?? DEFAULTS.phoneMaxStreams,
    pushAllowHttp: env.HIVE_TEST_PUSH_HTTP === "1",
    logLevel,
    logsDir: join(home, "logs"),
    logKeep: parsePositive("HIVE_LOG_KEEP", env.HIVE_LOG_KEEP) ?? DEFAULTS.logKeep,
    faultPoint: env.HIVE_TEST_FAULT || undefined,
    legacy: {
      ccrDir: resolve(overrides.legacyCcrDir ?? env.HIVE_LEGACY_CCR_DIR ?? join(userHome, ".claude-code-remote")),
      stateDir: resolve(overrides.legacyStateDir ?? env.HIVE_LEGACY_STATE_DIR ?? join(stateHome, "claude-hooks")),
      configDir: resolve(overrides.legacyConfigDir ?? env.HIVE_LEGACY_CONFIG_DIR ?? join(configHome, "claude-hooks")),
      hiveDir: home,
    },
    jobs: jobsConfig(env),
    tunnel: {
      server: parseServerUrl("HIVE_TUNNEL_SERVER", env.HIVE_TUNNEL_SERVER || DEFAULTS.tunnelServer),
      probeIntervalMs: env.HIVE_TUNNEL_PROBE_INTERVAL
        ? parseDuration("HIVE_TUNNEL_PROBE_INTERVAL", env.HIVE_TUNNEL_PROBE_INTERVAL)
        : DEFAULTS.tunnelProbeIntervalMs,
    },
    transportEnv: hook.transportEnv,
    token: hook.token,
    serverUrl: hook.serverUrl,
    mcpProgressMs: env.HIVE_MCP_PROGRESS ? parseDuration("HIVE_MCP_PROGRESS", env.HIVE_MCP_PROGRESS) : 15_000,
    materializeDirs: parseDirs("HIVE_MATERIALIZE_DIRS", env.HIVE_MATERIALIZE_DIRS),
    claudeDir: resolve(env.CLAUDE_CONFIG_DIR || join(userHome, ".claude")),
  }
}

/** The variable that sets a job's schedule: HIVE_SCHEDULE_ and its name upper-cased, - as _. */
export const scheduleEnvName = (job: string) => `HIVE_SCHEDULE_${job.toUpperCase().replaceAll("-", "_")}`

/** HIVE_RETAIN_EVENTS=14d, HIVE_BACKUP_KEEP=3, HIVE_SCHEDULE_BACKUP="0 2 * * *". */
function jobsConfig(env: Env): JobsConfig {
  const r = JOB_DEFAULTS.retention
  const retention = { ...r }
  const retentionFromEnv: (keyof Retention)[] = []
  for (const [key, { variable }] of Object.entries(RETENTION_SETTINGS) as [keyof Retention, { variable: string }][]) {
    const raw = env[variable]
    if (!raw) continue
    retention[key] = parseDuration(variable, raw)
    retentionFromEnv.push(key)
  }
  const schedules = { ...JOB_DEFAULTS.schedules }
  for (const job of Object.keys(schedules)) {
    const raw = env[scheduleEnvName(job)]
    if (raw) schedules[job] = raw.trim()
  }
  return {
    schedules,
    retention,
    retentionFromEnv,
    backupKeep: parsePositive("HIVE_BACKUP_KEEP", env.HIVE_BACKUP_KEEP) ?? JOB_DEFAULTS.backupKeep,
    backupEncrypt: parseFlag("HIVE_BACKUP_ENCRYPT", env.HIVE_BACKUP_ENCRYPT),
  }
}

function parseFlag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false
  if (raw === "1" || raw === "true") return true
  throw new UsageError(`${name} must be true or false, got "${raw}"`)
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY }
const MAX_DURATION_MS = 3650 * DAY

/** "90s", "15m", "12h", "30d", "2w" to milliseconds. */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d+)([smhdw])$/.exec(raw.trim())
  if (!match) throw new UsageError(`${name} must look like 90s, 15m, 12h, 30d or 2w, got "${raw}"`)
  const ms = Number(match[1]) * UNITS[match[2]!]!
  if (ms <= 0 || ms > MAX_DURATION_MS) throw new UsageError(`${name} must be between 1s and 3650d, got "${raw}"`)
  return ms
}

/** A plain http(s) address (no credentials, query or fragment), without its trailing slash; `name` is what set it. */
export function parseServerUrl(name: string, raw: string, example = "https://lt.desplega.ai"): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new UsageError(`${name} must be an http(s) address such as ${example}, got "${raw}"`)
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash)
    throw new UsageError(`${name} must be a plain http(s) address such as ${example} (no credentials, query or fragment)`)
  return url.origin + url.pathname.replace(/\/$/, "")
}

/** A list of absolute directories, separated by ":" as in PATH. */
function parseDirs(name: string, raw: string | undefined): string[] {
  const dirs = (raw ?? "").split(":").filter((d) => d.trim() !== "")
  const relative = dirs.find((d) => !d.startsWith("/"))
  if (relative !== undefined) throw new UsageError(`${name} lists absolute directories separated by ":", got "${relative}"`)
  return dirs.map((d) => resolve(d))
}

function parsePort(raw: string | undefined, fallback: number = DEFAULTS.port): number {
  if (raw === undefined) return fallback
  const port = Number(raw)
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) throw new UsageError(`port must be a number from 0 to 65535, got "${raw}"`)
  return port
}

function parsePositive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive whole number, got "${raw}"`)
  return n
}
