import type { Database } from "bun:sqlite"
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync } from "node:fs"
import { migrations } from "../../migrations"
import type { Config } from "../config"
import { vacuumInto } from "../db/backup"
import * as Audit from "../db/audit"
import * as Keys from "../db/keys"
import * as Maintenance from "../db/maintenance"
import * as Schema from "../db/schema"
import { apply, type AppliedReport, type MigrationEnv, type Registered, type SecretSink } from "../db/migrate"
import * as OAuth from "../db/oauth"
import * as Secrets from "../db/secrets"
import * as Tokens from "../db/tokens"
import { open } from "../db/open"
import { FatalError, sqliteCode } from "../errors"
import { createAuth } from "../auth/jwt"
import { preparedOnUse } from "../db/lazy"
import { createStores } from "../db/stores"
import type { Logger } from "../log"
import { unlock } from "../secrets/unlock"
import { ImportSink } from "../secrets/import-sink"
import { OAuthTokens } from "../secrets/oauth"
import { Sealer } from "../secrets/sealer"
import { createVault } from "../secrets/vault"
import { userInfo } from "node:os"

/** Turns a failure to open the database into a message a user can act on; other errors pass through. */
export function explainOpenError(config: Config, err: unknown): unknown {
  const code = sqliteCode(err) ?? ""
  const why = (err as Error).message
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT"))
    return new FatalError(
      `${config.dbPath} is not a readable SQLite database (${why}); hive left it untouched. Move it aside or restore a backup from ${config.backupsDir}`,
    )
  if (code) return new FatalError(`cannot open ${config.dbPath}: ${why}`)
  const errno = (err as NodeJS.ErrnoException).code
  if (errno === "EACCES" || errno === "EPERM" || errno === "EROFS" || errno === "ENOTDIR")
    return new FatalError(`cannot use the data home ${config.home}: ${why}`)
  return err
}

/**
 * Makes a data home that others can read private: the directory and every one below it 0700, every file
 * 0600. The older app's ~/.hive was 0755 with hive.db 0644. A home already 0700 is left as it is (and not
 * walked: a start must not pay for every artifact file). Answers how many entries were changed.
 */
export function tightenHome(home: string): number {
  const top = lstatSync(home, { throwIfNoEntry: false })
  if (!top?.isDirectory() || (top.mode & 0o777) === 0o700) return 0
  let changed = 0
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = `${dir}/${name}`
      const st = lstatSync(path, { throwIfNoEntry: false })
      // A symlink is not followed: what it points at is not the home's to change.
      if (!st || st.isSymbolicLink()) continue
      const want = st.isDirectory() ? 0o700 : st.isFile() ? 0o600 : undefined
      if (want !== undefined && (st.mode & 0o777) !== want) {
        chmodSync(path, want)
        changed++
      }
      if (st.isDirectory()) walk(path)
    }
  }
  walk(home)
  chmodSync(home, 0o700)
  return changed + 1
}

/** Creates the data home (mode 0700: it holds every agent's state), makes an open one private, and opens its database. */
export function openHome(config: Config, opts: { tighten?: boolean } = {}): Database {
  try {
    mkdirSync(config.home, { recursive: true, mode: 0o700 })
    const tightened = opts.tighten === false ? 0 : tightenHome(config.home)
    if (tightened) process.stderr.write(`hive: ${config.home} could be read by other users: made it 0700 and its files 0600 (${tightened} changed)\n`)
    // SQLite would create the file with the umask's mode (0644), and its WAL and shared memory after it.
    if (!existsSync(config.dbPath)) closeSync(openSync(config.dbPath, "a", 0o600))
    const db = open(config.dbPath)
    db.query("SELECT count(*) FROM sqlite_master").get()
    return db
  } catch (err) {
    throw explainOpenError(config, err)
  }
}

export type MigrateHooks = {
  /** Run PRAGMA quick_check before anything else and refuse a damaged database (hive serve). */
  verify?: boolean
  /**
   * The file is exactly as a clean stop of hive left it (cli/server-lock.ts): its schema was hive's then, so
   * it is not compared again (~4 ms of `hive serve`'s start). Pending migrations still run.
   */
  leftClean?: boolean
  /** Run already-applied import migrations again when their legacy files are present (explicit `hive migrate` only). */
  reimport?: boolean
  onApplied?: (r: AppliedReport) => void
  onBackup?: (path: string) => void
  onProgress?: (label: string, done: number, total: number) => void
  logger?: Logger
}

/** What import migrations read: the legacy locations, and a vault made only if a credential is imported. */
export function migrationEnv(db: Database, config: Config, logger?: Logger): MigrationEnv {
  let sink: SecretSink | undefined
  return {
    legacy: config.legacy,
    now: Date.now,
    secrets: () => {
      if (sink) return sink
      // Compiled on first use: a migration runs before later ones add columns that other statements name.
      const lazy = preparedOnUse(db)
      const stores = {
        keys: Keys.create(lazy),
        tokens: Tokens.create(lazy),
        secrets: Secrets.create(lazy),
        oauth: OAuth.create(lazy),
        audit: Audit.create(lazy),
      }
      return (sink = new ImportSink(new Sealer(db, stores, unlock(config, stores, logger), { logger, faultPoint: config.faultPoint })))
    },
  }
}

/** The legacy files an import migration would take over, at the configured locations, right now. */
export const legacyFilesFound = (m: Registered, config: Config) => m.describe?.({ legacy: config.legacy }).filter((f) => f.state !== "not found") ?? []

/** Applies pending migrations, backing the database up first when it already holds data; refuses a schema that is not hive's. */
export function migrate(db: Database, config: Config, hooks: MigrateHooks = {}, list: readonly Registered[] = migrations) {
  if (!hooks.leftClean) refuseUntrusted(db, config, list)
  return apply(db, list, {
    backup: () => hooks.onBackup?.(vacuumInto(db, config.backupsDir, "pre-migrate")),
    onApplied: hooks.onApplied,
    onProgress: hooks.onProgress,
    faultPoint: config.faultPoint,
    env: migrationEnv(db, config, hooks.logger),
    rerun: hooks.reimport ? (m) => legacyFilesFound(m, config).length > 0 : undefined,
  })
}

/**
 * Everything a command that touches tokens or secrets needs, in the one safe order: open, migrate,
 * then prove the master key matches what the database holds.
 */
export async function prepare(config: Config, logger: Logger, hooks: MigrateHooks = {}) {
  const db = openHome(config)
  try {
    if (hooks.verify) refuseDamaged(db, config)
    await migrate(db, config, { logger, ...hooks })
    const stores = createStores(db)
    const keys = unlock(config, stores, logger)
    const auth = createAuth(keys, stores.tokens, Date.now, (id) => stores.pairing.state(id))
    const vault = createVault(db, stores, keys, { logger, faultPoint: config.faultPoint })
    return { db, stores, keys, auth, vault, oauth: new OAuthTokens(vault.sealer) }
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * A database whose schema is not what this hive's migrations build (a trigger, a view, an index of its own:
 * code that would run on every write) is refused before anything is written to it, the migrations included.
 */
function refuseUntrusted(db: Database, config: Config, list: readonly Registered[]) {
  const drift = Schema.untrusted(db, list)
  if (drift.length === 0) return
  throw new FatalError(
    `${config.dbPath} has a schema this hive did not make (${Schema.summarize(drift)}); hive left it untouched. ` +
      `Run \`hive doctor\`, then restore a backup you trust from ${config.backupsDir} with \`hive restore FILE\``,
  )
}

/** A damaged database is refused with a clear message and left exactly as it is: hive never "repairs" by overwriting. */
function refuseDamaged(db: Database, config: Config) {
  let problems: string[]
  try {
    problems = Maintenance.create(db).check("quick", 5)
  } catch (err) {
    problems = [(err as Error).message]
  }
  if (problems.join() === "ok") return
  throw new FatalError(
    `${config.dbPath} is damaged (quick_check: ${problems.slice(0, 3).join("; ")}); hive left it untouched. ` +
      `Run \`hive doctor\`, then restore a backup from ${config.backupsDir} with \`hive restore FILE\``,
  )
}

/** How the CLI names itself in the audit log. */
export const cliActor = () => `cli:${userInfo().username}`
