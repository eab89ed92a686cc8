import type { Database } from "bun:sqlite"
import { chmodSync, copyFileSync, type Dirent, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs"
import { dirname, join, relative } from "node:path"
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
  /** Bytes of the artifact files kept beside it (`<name>.artifacts/`), or null when it has none. */
  artifacts_bytes: number | null
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

/** Backups in `dir`, newest first (files of other names are not hive's and are left alone). */
/** A backup as `hive backup list --json` and GET /api/backups show it (its path is the data home's business). */
export const backupView = ({ path: _path, ...b }: BackupFile) => b

export function listBackups(dir: string): BackupFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: BackupFile[] = []
  for (const name of names) {
    const m = NAME.exec(name)
    if (!m) continue
    const path = join(dir, name)
    const [d, t] = m[1]!.split("T") as [string, string]
    const created = Date.parse(`${d}T${t.replace(/^(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/, "$1:$2:$3.$4Z")}`)
    out.push({
      name,
      path,
      label: m[2] ?? "",
      encrypted: m[3] !== undefined,
      bytes: statSync(path).size,
      created_at: created,
      artifacts_bytes: treeBytes(artifactsDirOf(path)),
    })
  }
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

/**
 * The artifact files the database's rows refer to, linked (or, across file systems, copied) into `target`
 * under the same relative paths. Artifact files are content-addressed and never rewritten, so a hard link is a
 * copy that costs no space until the original is deleted. Returns how many were kept and the paths missing.
 */
export function keepArtifacts(db: Database, home: string, target: string): { files: number; bytes: number; missing: string[] } {
  const missing: string[] = []
  let files = 0
  let bytes = 0
  for (const { path } of db.query<{ path: string }, []>("SELECT DISTINCT path FROM artifacts ORDER BY path").iterate()) {
    const from = join(home, path)
    // A row's path is hive's own shape (artifacts/<session>/<type>/<sha256>); anything else is not followed.
    if (!/^artifacts\/[^/]+\/[^/]+\/[^/]+$/.test(path) || path.includes("..")) {
      missing.push(path)
      continue
    }
    const to = join(target, path)
    try {
      mkdirSync(dirname(to), { recursive: true, mode: 0o700 })
      try {
        linkSync(from, to)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err
        copyFileSync(from, to)
      }
      bytes += statSync(to).size
      files++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err
      missing.push(path)
    }
  }
  return { files, bytes, missing }
}

/** Puts a backup's artifact files back under the data home; a file already there is the same content and kept. */
export function restoreArtifacts(source: string, home: string): number {
  let placed = 0
  let entries: Dirent[]
  try {
    entries = readdirSync(join(source, "artifacts"), { withFileTypes: true, recursive: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    if (!e.isFile()) continue
    const from = join(e.parentPath, e.name)
    const to = join(home, relative(source, from))
    if (existsSync(to)) continue
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 })
    copyFileSync(from, to)
    chmodSync(to, 0o600)
    placed++
  }
  return placed
}
