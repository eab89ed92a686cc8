import { chmodSync, lstatSync, readFileSync, unlinkSync } from "node:fs"
import type { LegacyPlan, MigrationContext } from "../db/migrate"

/** A legacy file that does not have the shape we expect: the migration stops, the file stays as it was. */
export class LegacyFormatError extends Error {}

export type Outcome = "inserted" | "same" | "conflict"
export type Presence = "same" | "different" | "absent"

/** One legacy file and how its entries map to rows. Entries are what an import verifies one by one. */
export type Source<E> = {
  path: string
  what: string
  /** Holds credentials: kept files are tightened to 0600 and no message names an entry. */
  secret?: boolean
  parse(bytes: Uint8Array): { entries: E[]; duplicates: number }
  key(entry: E): string
  /** Stores one entry unless it is there already; never overwrites a different value ("conflict"). */
  insert(entry: E): Outcome
  /** Whether the database holds this entry as the file has it: the test before the file may be deleted. */
  check(entry: E): Presence
}

const MiB = 1 << 20
/** A registry of 100,000 sessions is 17 MiB. */
export const MAX_LEGACY_BYTES = 64 * MiB

type Found = { kind: "missing" } | { kind: "skip"; reason: string } | { kind: "file"; bytes: Uint8Array }

function find(path: string): Found {
  let st: ReturnType<typeof lstatSync>
  try {
    st = lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return { kind: "missing" }
    return { kind: "skip", reason: `cannot read it: ${(err as Error).message}` }
  }
  if (st.isSymbolicLink()) return { kind: "skip", reason: "it is a symlink; hive neither follows nor deletes symlinks" }
  if (!st.isFile()) return { kind: "skip", reason: "it is not a regular file" }
  // The parser keeps a syntax tree (to count keys written twice): about 8 bytes of memory per byte of file.
  if (st.size > MAX_LEGACY_BYTES)
    return {
      kind: "skip",
      reason: `it is ${(st.size / MiB).toFixed(0)} MiB, more than the ${MAX_LEGACY_BYTES / MiB} MiB hive reads from a legacy file (the older tools never wrote one this large)`,
    }
  return { kind: "file", bytes: readFileSync(path) }
}

const blank = (bytes: Uint8Array) => bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)

function parse<E>(src: Source<E>, bytes: Uint8Array, opts: { dryRun?: boolean } = {}) {
  if (blank(bytes)) return { entries: [] as E[], duplicates: 0 }
  try {
    return src.parse(bytes)
  } catch (err) {
    if (err instanceof LegacyFormatError) {
      if (src.secret && !opts.dryRun) tighten(src.path)
      throw new LegacyFormatError(`${src.path} (${src.what}) ${err.message}; nothing of it was imported and it was left in place`)
    }
    throw err
  }
}

function tighten(path: string) {
  try {
    chmodSync(path, 0o600)
  } catch {}
}

/**
 * Imports a legacy file inside the migration's transaction, then (after commit) deletes it only if every
 * entry it holds *now* is in the database as the file has it. Re-running is a no-op that finishes the job.
 */
export function importSource<E>(ctx: MigrationContext, src: Source<E>) {
  const found = find(src.path)
  if (found.kind === "missing") return
  if (found.kind === "skip") {
    ctx.report(`${src.path}: skipped, ${found.reason}`)
    return
  }
  const { entries, duplicates } = parse(src, found.bytes)
  const seen = new Set<string>()
  let inserted = 0
  let same = 0
  let conflicts = 0
  let dupes = duplicates
  entries.forEach((entry, i) => {
    const key = src.key(entry)
    if (seen.has(key)) {
      dupes++
      return
    }
    seen.add(key)
    const outcome = src.insert(entry)
    if (outcome === "inserted") inserted++
    else if (outcome === "same") same++
    else conflicts++
    if (i % 1000 === 999) ctx.progress(src.what, i + 1, entries.length)
  })
  if (entries.length >= 1000 && entries.length % 1000 !== 0) ctx.progress(src.what, entries.length, entries.length)
  ctx.report(
    `${src.path}: imported ${inserted}${same ? `, already there ${same}` : ""}${dupes ? `, duplicates ${dupes}` : ""}${conflicts ? `, conflicts ${conflicts}` : ""}`,
  )
  ctx.afterCommit(() => finish(ctx, src))
}

function finish<E>(ctx: MigrationContext, src: Source<E>) {
  const found = find(src.path)
  if (found.kind !== "file") return // already deleted by an interrupted run, or replaced by something we do not touch
  let entries: E[]
  try {
    entries = parse(src, found.bytes).entries
  } catch {
    return keep(ctx, src, "it changed after the import and no longer parses")
  }
  const missing = entries.filter((e) => src.check(e) !== "same")
  if (missing.length) {
    const which = src.secret
      ? ""
      : ` (${missing
          .slice(0, 3)
          .map((e) => JSON.stringify(src.key(e)))
          .join(", ")}${missing.length > 3 ? ", …" : ""})`
    return keep(
      ctx,
      src,
      `${missing.length} of ${entries.length} entries differ from what the database holds${which}; resolve them and run \`hive migrate\` again`,
    )
  }
  unlinkSync(src.path)
  ctx.report(`${src.path}: deleted, all ${entries.length} entries verified in the database`)
  ctx.fault("after-unlink")
}

function keep<E>(ctx: MigrationContext, src: Source<E>, why: string) {
  if (src.secret) tighten(src.path)
  ctx.report(`${src.path}: kept, ${why}`)
}

/** For `hive migrate --dry-run`: what is there and what an import would do with it, changing nothing. */
export function describeSource<E>(src: Source<E>): LegacyPlan {
  const found = find(src.path)
  if (found.kind === "missing") return { path: src.path, what: src.what, state: "not found" }
  if (found.kind === "skip") return { path: src.path, what: src.what, state: `would be skipped: ${found.reason}` }
  try {
    const { entries, duplicates } = parse(src, found.bytes, { dryRun: true })
    const dup = duplicates + entries.length - new Set(entries.map((e) => src.key(e))).size
    return { path: src.path, what: src.what, state: `${entries.length - dup} entries to import${dup ? ` (${dup} duplicates)` : ""}; deleted once verified` }
  } catch (err) {
    return { path: src.path, what: src.what, state: `cannot be imported: ${(err as Error).message}` }
  }
}
