import type { Database } from "bun:sqlite"
import { rotate, vacuumInto } from "../db/backup"
import { encryptFile } from "../secrets/backup-cipher"
import type { Keys } from "../secrets/keys"

export type BackupResult = { path: string; bytes: number; encrypted: boolean; removed: string[] }

/**
 * `hive backup` and the daily job: a verified copy in backups/, optionally encrypted as a whole with the
 * current master key generation's backup sub-key (so no plaintext row leaves the machine), then rotation
 * to the newest `keep`.
 */
export function backup(db: Database, dir: string, opts: { keep: number; encryptWith?: Keys; now?: Date }): BackupResult {
  const keys = opts.encryptWith
  const seal = keys
    ? (plain: string, target: string) => {
        const g = keys.current()
        encryptFile(plain, target, keys.subKey(g, "backup"), g.id)
      }
    : undefined
  const path = vacuumInto(db, dir, "", opts.now, seal)
  const removed = rotate(dir, opts.keep)
  return { path, bytes: Bun.file(path).size, encrypted: seal !== undefined, removed }
}
