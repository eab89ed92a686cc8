import { Database } from "bun:sqlite"
import { existsSync } from "node:fs"

/**
 * One way to open the database, so every process (server, CLI, hook) agrees on the pragmas.
 * Order matters: busy_timeout first, so that switching to WAL (which needs a lock when another
 * process holds the file) waits instead of failing with SQLITE_BUSY.
 */
export function open(path: string): Database {
  const db = new Database(path, { create: true, strict: true })
  db.run("PRAGMA busy_timeout = 5000")
  distrustSchema(db)
  db.run("PRAGMA journal_mode = WAL")
  // NORMAL in WAL mode is durable against process crashes; only an OS crash can lose the last commits.
  db.run("PRAGMA synchronous = NORMAL")
  db.run("PRAGMA foreign_keys = ON")
  // Deleted or overwritten content (an old ciphertext) is zeroed, not left in free space.
  db.run("PRAGMA secure_delete = ON")
  return db
}

/**
 * SQLite's defensive setting: a function or virtual table that is not marked harmless cannot run from the
 * schema (a trigger, a view, a CHECK or a default), so a file hive did not write cannot reach load_extension
 * and the like before its schema has been compared (src/db/schema.ts). Hive's own schema needs nothing more.
 */
function distrustSchema(db: Database) {
  db.run("PRAGMA trusted_schema = OFF")
}

/** Read-only view for commands that promise to change nothing (status, dry runs); undefined when there is no file yet. */
export function openExisting(path: string): Database | undefined {
  if (!existsSync(path)) return undefined
  return openReadOnly(path)
}

/** A file opened to be looked at (a backup, a staged restore): read-only, and its schema distrusted. */
export function openReadOnly(path: string): Database {
  const db = new Database(path, { readonly: true, strict: true })
  db.run("PRAGMA busy_timeout = 5000")
  distrustSchema(db)
  return db
}

/** Closes after folding the WAL back into the main file, so a stopped hive leaves one self-contained file. */
export function close(db: Database) {
  try {
    db.run("PRAGMA optimize")
    db.run("PRAGMA wal_checkpoint(TRUNCATE)")
  } catch {
    // Another process may hold the database; closing must still succeed.
  }
  db.close()
}

/**
 * Whether another connection (another process: a hook, an export, a tool) has the database open. SQLite deletes
 * the WAL and shared-memory files when the last connection closes, so after opening, reading and closing
 * our own, they are still there only when someone else holds the file.
 */
export function openElsewhere(path: string): boolean {
  const db = new Database(path)
  try {
    db.run("PRAGMA busy_timeout = 5000")
    distrustSchema(db)
    db.query("SELECT count(*) FROM sqlite_master").get()
  } finally {
    db.close()
  }
  return existsSync(`${path}-wal`) || existsSync(`${path}-shm`)
}
