import { ORPHAN_GRACE_MS, type Blobs } from "../artifacts/blobs"
import type * as Artifacts from "../db/artifacts"
import type * as Broker from "../db/broker"
import type * as Events from "../db/events"
import type * as JobRuns from "../db/job-runs"
import type * as Maintenance from "../db/maintenance"
import type * as Pairing from "../db/pairing"
import type * as SdkSessions from "../db/sdk-sessions"
import type * as Sessions from "../db/sessions"
import type * as SessionTokens from "../db/session-tokens"
import type * as TurnStats from "../db/turn-stats"
import { JOB_DEFAULTS, type JobsConfig, parseDuration, RETENTION_SETTINGS, type Retention } from "../config"

/** Rows one delete statement may remove: a few ms of work, so an API request never waits long behind a prune. */
export const CHUNK = 2000
/**
 * Events one slice of the walk looks at (events has no ts index; the walk is by id, over the ids that exist):
 * as many as take about `EVENT_STEP_MS` to delete. Each deleted event also leaves the search index, and a slice
 * of 10,000 old events held the server's thread ~200 ms; a slice of newer events, with nothing to delete, is
 * cheap, so the slice grows again there (up to `EVENT_SLICE_MAX`).
 */
export const EVENT_SLICE = { start: 1000, min: 50, max: 10_000 }
export const EVENT_STEP_MS = 2

/** Lets queued requests run between chunks (the jobs share the server's one thread and connection). */
/**
 * Lets queued requests run between steps, and says how far the job has got: `done` rows (or pages, or files)
 * so far, and where it can tell, the `fraction` of the walk behind it.
 */
export type Pause = (progress?: Progress) => Promise<void>
export type Progress = { done: number; fraction?: number }
export const nextTurn: Pause = () => new Promise((resolve) => setImmediate(resolve))

/** A job stopped between two of its steps because hive is stopping; what it did so far is committed. */
export class Cancelled extends Error {}

/** `nextTurn`, but a job that is cancelled stops at its next pause instead of running to its end. */
export const cancellable =
  (signal: AbortSignal, report?: (progress: Progress) => void): Pause =>
  async (progress) => {
    if (progress && report) report(progress)
    await nextTurn()
    if (signal.aborted) throw new Cancelled("cancelled: hive is stopping (what it did so far is kept)")
  }

/** Repeats a bounded delete until it removes less than a full chunk; returns the total. */
export async function drain(step: (limit: number) => number, pause: Pause = nextTurn, chunk = CHUNK): Promise<number> {
  let total = 0
  for (;;) {
    const n = step(chunk)
    total += n
    if (n < chunk) return total
    await pause({ done: total })
  }
}

/** Delivered messages older than the retention age; undelivered ones are still in flight and always kept. */
export const pruneMessages = (broker: Pick<Broker.Store, "pruneDelivered">, now: number, maxAgeMs: number, pause?: Pause) =>
  drain((limit) => broker.pruneDelivered(now - maxAgeMs, limit), pause)

/** Events older than the retention age, by age only (no row cap): a walk over the table in id slices. */
export async function pruneEvents(
  events: Pick<Events.Store, "pruneSlice" | "idRange" | "sliceEnd">,
  now: number,
  maxAgeMs: number,
  pause: Pause = nextTurn,
  clock: () => number = performance.now.bind(performance),
): Promise<number> {
  const { first, last } = events.idRange()
  if (first === null || last === null) return 0
  let total = 0
  let slice = EVENT_SLICE.start
  // Slices of the ids that exist, not of the id range: one imported id near 2^63 must not make a walk of 2^63.
  for (let from = first - 1; from < last; ) {
    const started = clock()
    const to = events.sliceEnd(from, slice) ?? last
    total += events.pruneSlice(from, to, now - maxAgeMs)
    const took = clock() - started
    if (took > EVENT_STEP_MS) slice = Math.max(EVENT_SLICE.min, Math.floor(slice / 2))
    else if (took < EVENT_STEP_MS / 4) slice = Math.min(EVENT_SLICE.max, slice * 2)
    from = to
    await pause({ done: total, fraction: last > first ? Math.min(1, (to - first) / (last - first)) : 1 })
  }
  return total
}

export const pruneTurnStats = (turnStats: Pick<TurnStats.Store, "prune">, now: number, maxAgeMs: number, pause?: Pause) =>
  drain((limit) => turnStats.prune(now - maxAgeMs, limit), pause)

/** Sessions kept per step of the session prune: each goes with all its events, so a step stays short. */
export const SESSION_STEP = 20

/** Dead, ended and expired sessions untouched for the retention age, with their data. */
export const pruneSessions = (sessions: Pick<Sessions.Store, "pruneGone">, now: number, maxAgeMs: number, pause?: Pause) =>
  drain((limit) => sessions.pruneGone(now - maxAgeMs, limit), pause, SESSION_STEP)

/** Expired reply tokens and pairing windows, SDK session-map entries unused for their retention age, old job_runs rows. */
export async function pruneStale(
  stores: {
    sessionTokens: SessionTokens.Store
    sdkSessions: Pick<SdkSessions.Store, "pruneStale">
    jobRuns: Pick<JobRuns.Store, "prune">
    pairing: Pick<Pairing.Store, "pruneWindows">
  },
  now: number,
  ages: { sdkSessionsMs: number; jobRunsMs: number },
  pause?: Pause,
): Promise<number> {
  const tokens = await drain((limit) => stores.sessionTokens.pruneExpired(now, limit), pause)
  const sdk = await drain((limit) => stores.sdkSessions.pruneStale(now - ages.sdkSessionsMs, limit), pause)
  const runs = await drain((limit) => stores.jobRuns.prune(now - ages.jobRunsMs, limit), pause)
  const windows = await drain((limit) => stores.pairing.pruneWindows(now, limit), pause)
  return tokens + sdk + runs + windows
}

/** Pages released to the file system per step of the vacuum job (4 MiB at the default page size). */
export const VACUUM_STEP_PAGES = 1024

/**
 * Gives the space prunes freed back: the WAL folded in and truncated, then free pages released in steps.
 * Returns the pages released.
 */
export async function reclaim(maintenance: Maintenance.Store, pause: Pause = nextTurn): Promise<number> {
  maintenance.checkpoint()
  let released = 0
  while (maintenance.freePages() > 0) {
    const n = maintenance.releasePages(VACUUM_STEP_PAGES)
    if (n === 0) break // auto_vacuum is off for this file (it needs a VACUUM first); nothing to release
    released += n
    await pause({ done: released })
  }
  // The releases went to the WAL; fold them in too, so the file on disk shrinks now.
  if (released) maintenance.checkpoint()
  return released
}

/**
 * Artifact files no row refers to (the artifacts of deleted sessions, or a file whose row never committed)
 * once older than a grace period that covers an upload in flight, then half-written uploads and empty folders.
 */
export async function pruneArtifactFiles(
  store: Pick<Artifacts.Store, "paths" | "isReferenced">,
  blobs: Blobs,
  now: number,
  pause: Pause = nextTurn,
): Promise<number> {
  const referenced = store.paths()
  let removed = 0
  for (const file of blobs.files()) {
    if (referenced.has(file.path) || now - file.modified_at < ORPHAN_GRACE_MS) continue
    await blobs.release(file.path, () => store.isReferenced(file.path))
    removed++
    if (removed % 100 === 0) await pause({ done: removed })
  }
  return removed + blobs.tidy(now - ORPHAN_GRACE_MS)
}

/** Where a retention age in effect comes from. */
export type RetentionSource = "environment" | "preference" | "default"
export type RetentionInEffect = { name: keyof Retention; ms: number; source: RetentionSource; variable: string; preference: string }

/** The shortest age a `retention.*` preference may set: one mistyped value must not empty a table within the hour. */
export const MIN_PREFERENCE_AGE_MS = 3_600_000

/** A `retention.*` preference's age in ms, or undefined when it is not a duration of 1h to 3650d. */
export function preferenceAge(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined
  try {
    const ms = parseDuration("retention", value)
    return ms >= MIN_PREFERENCE_AGE_MS ? ms : undefined
  } catch {
    return undefined
  }
}

/** Why a value is no good for a `retention.*` preference, or null when it is (or the key is another). */
export function retentionPreferenceError(key: string, value: unknown): string | null {
  if (!Object.values(RETENTION_SETTINGS).some((s) => s.preference === key)) return null
  return preferenceAge(value) === undefined ? `${key} is an age from 1h to 3650d, such as "14d" or "12h"` : null
}

/**
 * The retention ages in effect now: an environment variable wins (it is the operator's at start-up), then the
 * `retention.*` preference (changed at run time, read by every prune run), then the default.
 */
export function retentionInEffect(config: Pick<JobsConfig, "retention" | "retentionFromEnv">, pref: (key: string) => unknown): RetentionInEffect[] {
  return (Object.entries(RETENTION_SETTINGS) as [keyof Retention, { variable: string; preference: string }][]).map(([name, s]) => {
    if (config.retentionFromEnv.includes(name)) return { name, ms: config.retention[name], source: "environment", ...s }
    const stored = preferenceAge(pref(s.preference))
    if (stored !== undefined) return { name, ms: stored, source: "preference", ...s }
    return { name, ms: JOB_DEFAULTS.retention[name], source: "default", ...s }
  })
}

/** retentionInEffect as the ages the prunes take. */
export const retentionAges = (config: Pick<JobsConfig, "retention" | "retentionFromEnv">, pref: (key: string) => unknown): Retention =>
  Object.fromEntries(retentionInEffect(config, pref).map((r) => [r.name, r.ms])) as Retention
