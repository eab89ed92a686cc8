import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { migrations } from "../../migrations"
import * as Config from "../config"
import { createBlobs } from "../artifacts/blobs"
import { artifactsDirOf, checkFile, stamp, vacuumInto } from "../db/backup"
import { apply } from "../db/migrate"
import { close, open, openElsewhere, openReadOnly } from "../db/open"
import * as Schema from "../db/schema"
import { createStores } from "../db/stores"
import { FatalError, UsageError } from "../errors"
import { createLogger } from "../log"
import { decryptFile, isEncryptedBackup } from "../secrets/backup-cipher"
import { CipherError } from "../secrets/cipher"
import { createKeys } from "../secrets/keys"
import { loadKeyring } from "../secrets/keyring"
import { unlock } from "../secrets/unlock"
import { HOME_OPTION, noExtra, out, parse } from "./args"
import { migrationEnv, openHome } from "./home"
import { runningServer } from "./server-lock"

export const help = `Usage: hive restore FILE [--check] [--home DIR]

Replaces the database with a backup (plain, or encrypted with --encrypt), safely:
  1. refuses while \`hive serve\` runs on this data home, or any other process has the database open
     (what it wrote after the swap would be lost; stop it first);
  2. checks the backup: PRAGMA integrity_check, and a schema exactly as this hive's migrations build it
     for the version it records (a table, index, trigger or view of its own is refused, by name; an
     older version is migrated forward on the copy; a newer one is refused);
  3. checks that the master key opens what the backup holds;
  4. keeps the current database as backups/hive-<time>-before-restore.db (a damaged one: its raw
     bytes as backups/hive-<time>-damaged.db), then swaps;
  5. a backup made with --with-artifacts: puts its artifact files (FILE.artifacts/) back under the data
     home's artifacts/, leaving any already there.
Nothing is changed unless every check passes.

Options:
  --check      run checks 2 and 3 only, on a copy, and say whether the backup would restore; changes
               nothing, and may run while hive serves
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive restore", argv, { ...HOME_OPTION, check: { type: "boolean" } })
  if (values.help) return (out(help), 0)
  noExtra("hive restore", positionals, 1)
  if (!positionals[0]) throw new UsageError("hive restore: missing the backup FILE (see `hive backup list`)")
  const file = resolve(positionals[0])
  if (!existsSync(file) || !statSync(file).isFile()) throw new FatalError(`${file} does not exist or is not a file`)
  const config = Config.load({ home: values.home })
  const logger = createLogger(config.logLevel)
  const checkOnly = values.check === true
  const server = checkOnly ? undefined : runningServer(config.home)
  if (server) throw new FatalError(`hive serve is running on ${config.home} (pid ${server.pid}, ${server.url}); stop it, then restore`)
  if (!checkOnly) refuseIfOpenElsewhere(config)

  const staged = join(config.home, `.restore-${stamp()}.db`)
  const discard = () => {
    for (const s of ["", "-wal", "-shm"]) rmSync(staged + s, { force: true })
  }
  try {
    mkdirSync(config.home, { recursive: true, mode: 0o700 })
    if (isEncryptedBackup(file)) {
      const ring = loadKeyring(config.masterKey, { mayCreate: false, whyNeeded: "the backup is encrypted with a key derived from it" })
      const keys = createKeys(ring, config.masterKey)
      try {
        decryptFile(file, staged, (id) => {
          const g = keys.byId(id)
          return g && keys.subKey(g, "backup")
        })
      } catch (err) {
        if (!(err instanceof CipherError)) throw err
        throw new FatalError(
          err.kind === "unknown_key"
            ? `${file} was encrypted with a master key this machine does not have (${ring.source}); restore the key file that made it`
            : `${file} cannot be decrypted: ${err.message}`,
        )
      }
    } else copyFileSync(file, staged)

    const problems = checkFile(staged)
    if (problems.join() !== "ok") throw new FatalError(`${file} is not a sound SQLite database (${problems.slice(0, 3).join("; ")}); nothing was changed`)
    const version = checkSchema(file, staged)

    const db = open(staged)
    try {
      // Legacy files are left for the restored database's next start: an import into a copy that might still
      // be thrown away (a wrong key, below) would delete them with nothing kept.
      const nowhere = join(staged, "no-legacy")
      const env = migrationEnv(db, { ...config, legacy: { ccrDir: nowhere, stateDir: nowhere, configDir: nowhere, hiveDir: nowhere } })
      const applied = await apply(db, migrations, { env })
      if (applied.length) out(`migrated the backup from schema ${version} to ${migrations.length}`)
      const drift = Schema.untrusted(db, migrations)
      if (drift.length) throw new FatalError(`${file} does not migrate to this hive's schema (${Schema.summarize(drift, 3)}); nothing was changed`)
      unlock(config, createStores(db), logger)
    } finally {
      close(db)
    }

    if (checkOnly) {
      out(
        `${file} passes every check (integrity, schema ${version}${version < migrations.length ? `, migrates to ${migrations.length}` : ""}, the master key opens it): stop hive, then \`hive restore ${file}\``,
      )
      return 0
    }
    // Again just before the swap: the checks above take a while on a large backup.
    refuseIfOpenElsewhere(config)
    if (existsSync(config.dbPath)) out(`kept the current database as ${setAside(config)}`)
    // The old WAL must go before the new file takes the name: SQLite would replay its frames onto it.
    rmSync(`${config.dbPath}-wal`, { force: true })
    rmSync(`${config.dbPath}-shm`, { force: true })
    renameSync(staged, config.dbPath)
    out(`restored ${file} (schema ${migrations.length}) into ${config.dbPath}`)
    // A backup made with --with-artifacts brings its files back; one already in place is the same content.
    if (existsSync(artifactsDirOf(file)))
      out(`put back ${createBlobs(config.home).putBack(artifactsDirOf(file))} artifact file(s) from ${artifactsDirOf(file)}`)
    return 0
  } finally {
    discard()
  }
}

/**
 * A backup is untrusted input: its schema must be exactly what this hive's migrations build for the version
 * it records (a trigger or a view of its own would run inside `hive serve`). Returns that version.
 */
function checkSchema(file: string, staged: string): number {
  const db = openReadOnly(staged)
  try {
    const recorded = Schema.recordedVersion(db, migrations)
    if ("problem" in recorded) throw new FatalError(`${file} is not a hive database: ${recorded.problem}; nothing was changed`)
    const { version } = recorded
    if (version === 0) throw new FatalError(`${file} is not a hive database (it has no schema_migrations); nothing was changed`)
    if (version > migrations.length)
      throw new FatalError(`${file} is at schema version ${version}, newer than this hive knows (${migrations.length}); upgrade hive first`)
    const drift = Schema.untrusted(db, migrations)
    if (drift.length)
      throw new FatalError(
        `${file} has a schema this hive did not make (${Schema.summarize(drift)}); a backup that carries its own triggers or views is refused; nothing was changed`,
      )
    return version
  } finally {
    db.close()
  }
}

/**
 * A process that has the database open would go on writing into the replaced file, and what it wrote would be
 * lost without a word. A damaged database cannot be asked, and is replaced anyway (that is what restore is for).
 */
function refuseIfOpenElsewhere(config: Config.Config) {
  let elsewhere = false
  try {
    elsewhere = existsSync(config.dbPath) && openElsewhere(config.dbPath)
  } catch {
    return
  }
  if (elsewhere)
    throw new FatalError(
      `another process has ${config.dbPath} open (a hive command, a hook or another tool); let it finish or stop it, then restore; nothing was changed`,
    )
}

/**
 * Keeps the database being replaced: a consistent copy when it can be read, else (restoring is what one does
 * to a damaged database) its raw bytes and WAL as they are, for whoever wants to look at them later.
 */
function setAside(config: Config.Config): string {
  try {
    const current = openHome(config)
    try {
      const aside = vacuumInto(current, config.backupsDir, "before-restore")
      current.run("PRAGMA wal_checkpoint(TRUNCATE)")
      return aside
    } finally {
      current.close()
    }
  } catch {
    mkdirSync(config.backupsDir, { recursive: true, mode: 0o700 })
    const aside = join(config.backupsDir, `hive-${stamp()}-damaged.db`)
    copyFileSync(config.dbPath, aside)
    if (existsSync(`${config.dbPath}-wal`)) copyFileSync(`${config.dbPath}-wal`, `${aside}-wal`)
    return `${aside} (damaged; its raw bytes, as they were)`
  }
}
