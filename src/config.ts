import { homedir } from "node:os"
import { join, resolve } from "node:path"
import pkg from "../package.json" with { type: "json" }
import { UsageError } from "./errors"
import type { Level } from "./log"

export const VERSION: string = pkg.version

export type Config = {
  version: string
  /** The data home: hive.db, artifacts/, backups/, logs/. */
  home: string
  dbPath: string
  backupsDir: string
  host: string
  port: number
  /** The master key lives outside the data home so a copy of ~/.hive never carries it. */
  masterKey: { base64?: string; file: string }
  maxBodyBytes: number
  /** SSE: a heartbeat comment at least this often (Bun closes idle connections after 10 s). */
  sseHeartbeatMs: number
  /** SSE: concurrent event streams; one more gets a 503. */
  maxStreams: number
  logLevel: Level
  /** Test-only crash points (HIVE_TEST_FAULT); never set in normal use. */
  faultPoint?: string
  /** Where the older tools left state that import migrations take over. */
  legacy: LegacyPaths
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
export type Overrides = { home?: string; host?: string; port?: string; legacyCcrDir?: string; legacyStateDir?: string; legacyConfigDir?: string }

type Env = Record<string, string | undefined>

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 7420,
  maxBodyBytes: 1024 * 1024,
  sseHeartbeatMs: 5000,
  maxStreams: 256,
  logLevel: "info" as Level,
}

const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"]

/** Flags > environment > defaults. The only place that reads process.env. */
export function load(overrides: Overrides = {}, env: Env = process.env): Config {
  const home = resolve(overrides.home ?? env.HIVE_HOME ?? join(env.HOME ?? homedir(), ".hive"))
  const userHome = env.HOME ?? homedir()
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
    masterKey: { base64: env.HIVE_MASTER_KEY || undefined, file: env.HIVE_MASTER_KEY_FILE || join(configHome, "hive", "master.key") },
    maxBodyBytes: parsePositive("HIVE_MAX_BODY_BYTES", env.HIVE_MAX_BODY_BYTES) ?? DEFAULTS.maxBodyBytes,
    sseHeartbeatMs: parsePositive("HIVE_SSE_HEARTBEAT_MS", env.HIVE_SSE_HEARTBEAT_MS) ?? DEFAULTS.sseHeartbeatMs,
    maxStreams: parsePositive("HIVE_MAX_STREAMS", env.HIVE_MAX_STREAMS) ?? DEFAULTS.maxStreams,
    logLevel,
    faultPoint: env.HIVE_TEST_FAULT || undefined,
    legacy: {
      ccrDir: resolve(overrides.legacyCcrDir ?? env.HIVE_LEGACY_CCR_DIR ?? join(userHome, ".claude-code-remote")),
      stateDir: resolve(overrides.legacyStateDir ?? env.HIVE_LEGACY_STATE_DIR ?? join(stateHome, "claude-hooks")),
      configDir: resolve(overrides.legacyConfigDir ?? env.HIVE_LEGACY_CONFIG_DIR ?? join(configHome, "claude-hooks")),
      hiveDir: home,
    },
  }
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.port
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
