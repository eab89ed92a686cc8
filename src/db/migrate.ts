import type { Database } from "bun:sqlite"
import type { LegacyPaths } from "../config"
import { immediate } from "./tx"
import { FatalError } from "../errors"

/** How import migrations store credentials: sealed by the vault, compared without revealing them. */
export type SecretSink = {
  importSecret(name: string, value: Uint8Array): "inserted" | "same" | "conflict"
  compareSecret(name: string, value: Uint8Array): "same" | "different" | "absent"
  importOAuth(forge: string, tokens: LegacyOAuth): "inserted" | "same" | "conflict"
  compareOAuth(forge: string, tokens: LegacyOAuth): "same" | "different" | "absent"
}
export type LegacyOAuth = { access_token: string; refresh_token: string | null; expires_at: number | null; scope: string | null; account: string | null }

/** What import migrations need from outside the database. */
export type MigrationEnv = { legacy: LegacyPaths; secrets(): SecretSink; now(): number }

export type MigrationContext = {
  db: Database
  /** Only import migrations use it; schema migrations never do. */
  env: MigrationEnv
  /** Test-only crash point inside a migration's own steps (HIVE_TEST_FAULT, e.g. "after-unlink"). */
  fault(point: string): void
  /** Progress of a long import, for a bar on a terminal. */
  progress(label: string, done: number, total: number): void
  /**
   * Queue a file side effect (deleting an imported legacy file) to run only after this migration's
   * transaction has committed. It must be idempotent: if the process dies before it finishes,
   * the next run calls `up` again with `resumed: true` and the effect is queued again.
   */
  afterCommit(fn: () => void | Promise<void>): void
  /** True when `up` is called again only to finish after-commit work a crash interrupted. */
  resumed: boolean
  /** A line for the per-migration report. */
  report(line: string): void
}

// void, not Promise: a migration runs inside a synchronous transaction, so an async `up` must not type-check.
// biome-ignore lint/suspicious/noConfusingVoidType: void is the point here (see above)
type Sync = void | undefined

export type Migration = {
  name: string
  up(ctx: MigrationContext): Sync
  down?(ctx: MigrationContext): Sync
  /** For import migrations: what `hive migrate --dry-run` should say about the files it would take over. */
  describe?(env: Pick<MigrationEnv, "legacy">): LegacyPlan[]
}

export type LegacyPlan = { path: string; what: string; state: string }

/** A migration as listed in migrations/index.ts: its number, file stem and source checksum. */
export type Registered = Migration & { version: number; id: string; checksum: string }

export type AppliedRow = {
  version: number
  name: string
  checksum: string
  applied_at: number
  duration_ms: number
  effects_pending: number
}

export type Plan = {
  applied: AppliedRow[]
  pending: Registered[]
  /** Applied migrations whose after-commit work did not finish (a crash); the next run finishes it. */
  unfinished: Registered[]
  /** Applied migrations whose source changed since they ran: reported, never re-run. */
  modified: { version: number; id: string; recorded: string; current: string }[]
  /** The highest version in the database, and whether this binary knows it. */
  databaseVersion: number
  newerThanBinary: boolean
}

export type AppliedReport = { id: string; durationMs: number; resumed: boolean; lines: string[] }

/** A migration failed, or cannot run: a FatalError (exit 1). */
export class MigrationError extends FatalError {}

const TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  effects_pending INTEGER NOT NULL DEFAULT 0
) STRICT`

export const migrationId = (version: number, name: string) => `${String(version).padStart(3, "0")}_${name}`

function tableExists(db: Database) {
  return db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== null
}

export function appliedRows(db: Database): AppliedRow[] {
  if (!tableExists(db)) return []
  return db.query<AppliedRow, []>("SELECT version, name, checksum, applied_at, duration_ms, effects_pending FROM schema_migrations ORDER BY version").all()
}

/** The schema version of a database: the highest applied migration, 0 for a fresh file. */
export function schemaVersion(db: Database): number {
  const rows = appliedRows(db)
  return rows.length ? rows[rows.length - 1]!.version : 0
}

/** Pure: what `apply` would do. Works on a read-only connection. */
export function plan(db: Database | undefined, list: readonly Registered[]): Plan {
  const applied = db ? appliedRows(db) : []
  const byVersion = new Map(applied.map((r) => [r.version, r]))
  const known = Math.max(0, ...list.map((m) => m.version))
  const databaseVersion = Math.max(0, ...applied.map((r) => r.version))
  const modified: Plan["modified"] = []
  const pending: Registered[] = []
  const unfinished: Registered[] = []
  for (const m of list) {
    const row = byVersion.get(m.version)
    if (!row) pending.push(m)
    else {
      if (row.checksum !== m.checksum) modified.push({ version: m.version, id: m.id, recorded: row.checksum, current: m.checksum })
      if (row.effects_pending) unfinished.push(m)
    }
  }
  return { applied, pending, unfinished, modified, databaseVersion, newerThanBinary: databaseVersion > known }
}

export function assertListValid(list: readonly Registered[]) {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`migration list is out of order: ${m.id} is at position ${i + 1}`)
  })
}

export type ApplyOptions = {
  /** Called once, before the first change, when the database already holds applied migrations. */
  backup?: () => void
  /** Called as each migration commits, so a CLI can print progress as it goes. */
  onApplied?: (report: AppliedReport) => void
  /** Test-only crash points: "before-commit" | "after-commit" (optionally "NNN:" to pick a migration). */
  faultPoint?: string
  env?: MigrationEnv
  onProgress?: (label: string, done: number, total: number) => void
  /** Applied migrations to run again (idempotent imports that found new legacy files); they run as resumed. */
  rerun?: (m: Registered) => boolean
  now?: () => number
}

function crashIfAsked(faultPoint: string | undefined, point: string, m: Registered) {
  if (!faultPoint) return
  const [where, which] = faultPoint.includes(":") ? faultPoint.split(":").reverse() : [faultPoint, undefined]
  if (where === point && (which === undefined || Number(which) === m.version)) process.kill(process.pid, "SIGKILL")
}

/**
 * Applies every pending migration in order, each in its own BEGIN IMMEDIATE transaction, and finishes
 * after-commit work a crash left behind. Safe to run from two processes at once: whether a migration
 * is applied is decided inside the write lock, so the loser of the race sees it done and skips it.
 */
export async function apply(db: Database, list: readonly Registered[], opts: ApplyOptions = {}): Promise<AppliedReport[]> {
  assertListValid(list)
  const now = opts.now ?? Date.now
  immediate(db, () => db.run(TABLE))
  const before = plan(db, list)
  if (before.newerThanBinary)
    throw new MigrationError(
      `the database is at schema version ${before.databaseVersion}, newer than this hive knows (${list.length}); upgrade hive or restore an older backup`,
    )
  const applied = new Set(before.applied.map((r) => r.version))
  const work = list.filter((m) => before.pending.includes(m) || before.unfinished.includes(m) || (applied.has(m.version) && opts.rerun?.(m)))
  if (work.length && before.applied.length && opts.backup) opts.backup()

  const rowOf = db.query<{ effects_pending: number }, [number]>("SELECT effects_pending FROM schema_migrations WHERE version = ?")
  const record = db.query(
    `INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms, effects_pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (version) DO UPDATE SET effects_pending = excluded.effects_pending`,
  )
  const settle = db.query("UPDATE schema_migrations SET effects_pending = 0 WHERE version = ?")

  const reports: AppliedReport[] = []
  for (const m of work) {
    const effects: (() => void | Promise<void>)[] = []
    const lines: string[] = []
    let resumed = false
    let ran = false
    const started = performance.now()
    try {
      immediate(db, () => {
        const row = rowOf.get(m.version)
        const again = row !== null && opts.rerun?.(m) === true
        if (row && !row.effects_pending && !again) return // another process got here first
        resumed = row !== null
        m.up(context(db, opts, m, { resumed, afterCommit: (fn) => void effects.push(fn), report: (line) => void lines.push(line) }))
        const durationMs = Math.round(performance.now() - started)
        record.run(m.version, m.name, m.checksum, now(), durationMs, effects.length ? 1 : 0)
        crashIfAsked(opts.faultPoint, "before-commit", m)
        ran = true
      })
    } catch (err) {
      throw new MigrationError(`migration ${m.id} failed: ${reason(err)}`, { cause: err })
    }
    if (!ran) continue
    crashIfAsked(opts.faultPoint, "after-commit", m)
    try {
      for (const fn of effects) await fn()
    } catch (err) {
      throw new MigrationError(`migration ${m.id} committed, but a step after the commit failed: ${reason(err)}; the next \`hive migrate\` retries it`, {
        cause: err,
      })
    }
    if (effects.length) settle.run(m.version)
    const report = { id: m.id, durationMs: Math.round(performance.now() - started), resumed, lines }
    reports.push(report)
    opts.onApplied?.(report)
  }
  return reports
}

/**
 * Only the schema, synchronously, in a scratch database (src/db/schema.ts's reference): each migration's
 * `up` in order, with its after-commit file work dropped, since a scratch database takes over no files.
 */
export function buildSchema(db: Database, list: readonly Registered[], env: MigrationEnv) {
  assertListValid(list)
  immediate(db, () => db.run(TABLE))
  const record = db.query("INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) VALUES (?1, ?2, ?3, 0, 0)")
  for (const m of list)
    immediate(db, () => {
      m.up(context(db, { env }, m, { resumed: false, afterCommit: () => {}, report: () => {} }))
      record.run(m.version, m.name, m.checksum)
    })
}

/** Rolls back the newest `count` applied migrations; refuses before changing anything if one has no `down`. */
export function rollback(db: Database, list: readonly Registered[], count: number, opts: Pick<ApplyOptions, "backup"> = {}): string[] {
  const applied = appliedRows(db).reverse().slice(0, count)
  if (applied.length === 0) throw new MigrationError("no migration is applied; nothing to roll back")
  const byVersion = new Map(list.map((m) => [m.version, m]))
  const targets = applied.map((row) => {
    const m = byVersion.get(row.version)
    if (!m) throw new MigrationError(`migration ${migrationId(row.version, row.name)} is unknown to this hive; cannot roll it back`)
    if (!m.down) throw new MigrationError(`migration ${m.id} has no down step; it cannot be rolled back (restore a backup instead)`)
    return m
  })
  opts.backup?.()
  const remove = db.query("DELETE FROM schema_migrations WHERE version = ?")
  return targets.map((m) => {
    try {
      immediate(db, () => {
        m.down!(context(db, {}, m, { resumed: false, afterCommit: () => {}, report: () => {} }))
        remove.run(m.version)
      })
    } catch (err) {
      throw new MigrationError(`rolling back migration ${m.id} failed: ${reason(err)}`, { cause: err })
    }
    return m.id
  })
}

function context(db: Database, opts: ApplyOptions, m: Registered, parts: Pick<MigrationContext, "resumed" | "afterCommit" | "report">): MigrationContext {
  return {
    db,
    ...parts,
    get env() {
      if (!opts.env) throw new MigrationError(`migration ${m.id} needs the import environment, which this runner was not given`)
      return opts.env
    },
    fault: (point) => crashIfAsked(opts.faultPoint, point, m),
    progress: (label, done, total) => opts.onProgress?.(label, done, total),
  }
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err))
