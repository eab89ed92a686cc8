import type { Database } from "bun:sqlite"
import { chmodSync, mkdirSync } from "node:fs"
import { join } from "node:path"

/** Sortable, filename-safe: 2026-11-22T01-49-00-123Z. */
export const stamp = (now = new Date()) => now.toISOString().replaceAll(":", "-").replace(".", "-")

/**
 * A consistent copy of the live database (VACUUM INTO works while others read and write), mode 0600.
 * Encrypted values stay encrypted in it; the master key is never in the data home, so never in a backup.
 */
export function vacuumInto(db: Database, dir: string, label: string, now = new Date()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `hive-${stamp(now)}${label ? `-${label}` : ""}.db`)
  db.run("VACUUM INTO ?", [path])
  chmodSync(path, 0o600)
  return path
}
