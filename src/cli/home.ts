import type { Database } from "bun:sqlite"
import { mkdirSync } from "node:fs"
import { migrations } from "../../migrations"
import type { Config } from "../config"
import { vacuumInto } from "../db/backup"
import { apply, type AppliedReport, type Registered } from "../db/migrate"
import { open } from "../db/open"
import { FatalError, sqliteCode } from "../errors"

/** Creates the data home (mode 0700: it holds every agent's state) and opens its database. */
export function openHome(config: Config): Database {
  mkdirSync(config.home, { recursive: true, mode: 0o700 })
  try {
    const db = open(config.dbPath)
    db.query("SELECT count(*) FROM sqlite_master").get()
    return db
  } catch (err) {
    const code = sqliteCode(err) ?? ""
    const why = (err as Error).message
    if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT"))
      throw new FatalError(
        `${config.dbPath} is not a readable SQLite database (${why}); hive left it untouched. Move it aside or restore a backup from ${config.backupsDir}`,
      )
    if (code) throw new FatalError(`cannot open ${config.dbPath}: ${why}`)
    throw err
  }
}

export type MigrateHooks = { onApplied?: (r: AppliedReport) => void; onBackup?: (path: string) => void }

/** Applies pending migrations, backing the database up first when it already holds data. */
export function migrate(db: Database, config: Config, hooks: MigrateHooks = {}, list: readonly Registered[] = migrations) {
  return apply(db, list, {
    backup: () => hooks.onBackup?.(vacuumInto(db, config.backupsDir, "pre-migrate")),
    onApplied: hooks.onApplied,
    faultPoint: config.faultPoint,
  })
}
