import type { Database } from "bun:sqlite"
import { chmodSync, type Dirent, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { FatalError } from "../errors"
import * as Maintenance from "./maintenance"
import { openReadOnly } from "./open"

/** Sortable, filename-safe: 2026-11-22T01-49-00-123Z. */
export const stamp = (now = new Date()) => now.toISOString().replaceAll(":", "-").replace(".", "-")

/** hive-<stamp>[-label].db[.enc]: what backups/ holds and rotation counts. */
const NAME = /^hive-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)(?:-([a-z-]+))?\.db(\.enc)?$/

export type BackupFile = {
  name: string
  path: string
  label: string
  encrypted: boolean
  bytes: number
  created_at: number
}

/** Where a backup made with --with-artifacts keeps the artifact files, mirroring the data home's artifacts/. */
export const artifactsDirOf = (backupPath: string) => `${backupPath}.artifacts`

/** "ok", or the problems SQLite finds in a database file (opened read-only; nothing is written). */
export function checkFile(path: string, kind: "quick" | "full" = "full"): string[] {
  let db: Database | undefined
  try {
    db = openReadOnly(path)
    return Maintenance.create(db).check(kind)
  } catch (err) {
    return [(err as Error).message]
  } finally {
    db?.close()
  }
}

/**
 * A verified copy of the live database: VACUUM INTO a temporary file (consistent while others read and
 * write), `integrity_check` on the copy, then a rename into place, so backups/ never holds a half-written
 * or damaged file under a backup's name. Mode 0600. Encrypted values stay encrypted in it; the master key
 * lives outside the data home, so it is never in a backup. `seal`, when given, encrypts the whole file.
 */
export function vacuumInto(db: Database, dir: string, label = "", now = new Date(), seal?: (plain: string, target: string) => void): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const name = `hive-${stamp(now)}${label ? `-${label}` : ""}.db${seal ? ".enc" : ""}`
  const partial = join(dir, `.${name}.partial`)
  const sealed = `${partial}.enc`
  try {
    db.run("VACUUM INTO ?", [partial])
    chmodSync(partial, 0o600)
    const problems = checkFile(partial)
    if (problems.join() !== "ok")
      throw new FatalError(
        `the backup copy failed its integrity check (${problems.slice(0, 3).join("; ")}); the database itself may be damaged: run \`hive doctor\``,
      )
    if (seal) {
      seal(partial, sealed)
      rmSync(partial)
      renameSync(sealed, join(dir, name))
    } else renameSync(partial, join(dir, name))
    return join(dir, name)
  } finally {
    rmSync(partial, { force: true })
    rmSync(sealed, { force: true })
  }
}

/**
 * A backup as `hive backup list --json` and GET /api/backups show it (its path is the data home's business),
 * with `artifacts_bytes`: the artifact files kept beside it (`<name>.artifacts/`), or null when it has none.
 */
export const backupView = ({ path, ...b }: BackupFile) => ({ ...b, artifacts_bytes: treeBytes(artifactsDirOf(path)) })

/** One backup by its name, or undefined when backups/ has no such file (nothing else is read). */
export function findBackup(dir: string, name: string): BackupFile | undefined {
  const m = NAME.exec(name)
  if (!m) return undefined
  const path = join(dir, name)
  let bytes: number
  try {
    const st = statSync(path)
    if (!st.isFile()) return undefined
    bytes = st.size
  } catch {
    return undefined
  }
  const [d, t] = m[1]!.split("T") as [string, string]
  const created = Date.parse(`${d}T${t.replace(/^(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/, "$1:$2:$3.$4Z")}`)
  return { name, path, label: m[2] ?? "", encrypted: m[3] !== undefined, bytes, created_at: created }
}

/** Backups in `dir`, newest first (files of other names are not hive's and are left alone). */
export function listBackups(dir: string): BackupFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out = names.map((name) => findBackup(dir, name)).filter((b) => b !== undefined)
  return out.sort((a, b) => b.created_at - a.created_at || b.name.localeCompare(a.name))
}

/** Keeps the newest `keep` backups of each label (plain, pre-migrate, before-restore); returns the paths deleted. */
export function rotate(dir: string, keep: number): string[] {
  const seen = new Map<string, number>()
  const removed: string[] = []
  for (const b of listBackups(dir)) {
    const n = (seen.get(b.label) ?? 0) + 1
    seen.set(b.label, n)
    if (n <= keep) continue
    rmSync(b.path, { force: true })
    rmSync(artifactsDirOf(b.path), { recursive: true, force: true })
    removed.push(b.path)
  }
  return removed
}

/** Bytes of the files under `dir`, or null when there is no such folder. */
function treeBytes(dir: string): number | null {
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true })
  } catch {
    return null
  }
  let total = 0
  for (const e of entries) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size
  return total
}
