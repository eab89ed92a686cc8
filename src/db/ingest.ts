import type { Database } from "bun:sqlite"
import { HiveError } from "../errors"
import type { Logger } from "../log"
import type * as Events from "./events"
import type { GroupCommit } from "./group-commit"
import { endWorker, fromWire, workerProgram, type WireError } from "../workers"

export type Appended = { count: number; first_id: number | null; last_id: number | null }

export type IngestRequest =
  | { type: "open"; path: string; autocheckpoint: number }
  | { type: "append"; id: number; json: string; rows: number; now: number }
  | { type: "stop" }
export type IngestReply =
  | { type: "ready"; program: string }
  | { type: "unavailable"; error: WireError }
  | { type: "appended"; id: number; appended: Appended }
  | { type: "failed"; id: number; error: WireError }
  | { type: "stopped" }

export type IngestOptions = {
  /** Batched rows within one second that start the worker; below it, the server's own thread is quicker. */
  startAboveRows?: number
  /** The worker is let go after this long without a batch (it has a JavaScript heap of its own). */
  idleAfterMs?: number
  /** false: every batch on the server's thread (an in-memory database cannot be shared anyway). */
  worker?: boolean
  /** The worker's program; by default the one beside this file (or inside the binary). */
  program?: string
  logger?: Logger
}

const WORKER = workerProgram("db/ingest-worker.ts", new URL("./ingest-worker.ts", import.meta.url))

/** How long stopping waits for batches in flight (a COMMIT takes milliseconds; a disk may stall longer). */
const STOP_WAIT_MS = 10_000

/**
 * Event batches, written on a second core while batches pour in. Batch ingest is the hottest write path, and
 * on the server's own thread about 70% of a batch is SQLite inserting rows; that thread also parses, validates
 * and answers every request. A worker with its own connection does the inserting instead (SQLite's write lock
 * keeps one writer at a time, so ids still become visible in order), and is answered only after its COMMIT, as
 * the group commit would be. The batch crosses as one JSON string: cloning 500 objects costs the server's thread
 * about four times as much as JSON.stringify.
 *
 * Started only when batches are heavy and let go when they stop, so an idle server pays nothing; while it
 * starts, and should it fail, batches go through the server's own group commit as before.
 */
export function createIngest(db: Database, store: Events.Store, commit: GroupCommit, o: IngestOptions = {}) {
  const startAboveRows = o.startAboveRows ?? 2000
  const idleAfterMs = o.idleAfterMs ?? 30_000
  const shareable = o.worker !== false && db.filename !== "" && db.filename !== ":memory:"
  let worker: Worker | null = null
  let ready = false
  let stopping = false
  let gaveUp = false
  let seq = 0
  const pending = new Map<number, { resolve(a: Appended): void; reject(err: unknown): void }>()
  let rowsOffThread = 0
  let windowStart = 0
  let windowRows = 0
  let lastBatch = 0
  let idleCheck: ReturnType<typeof setInterval> | undefined

  function start() {
    const w = new Worker(o.program ?? WORKER)
    worker = w
    w.onmessage = ({ data }: MessageEvent<IngestReply>) => {
      switch (data.type) {
        case "ready":
          ready = worker === w
          if (ready) o.logger?.debug(`event batches are written on a worker thread while they pour in (its program: ${data.program})`)
          break
        case "unavailable":
          giveUp(w, `the event writer thread could not open the database (${data.error.message})`)
          break
        case "appended":
          rowsOffThread += data.appended.count
          settle(data.id)?.resolve(data.appended)
          break
        case "failed":
          settle(data.id)?.reject(fromWire(data.error))
          break
      }
    }
    w.onerror = (e) => giveUp(w, `the event writer thread stopped (${e.message})`)
    w.postMessage({
      type: "open",
      path: db.filename,
      autocheckpoint: db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint,
    } satisfies IngestRequest)
    // Never what keeps the process alive; the server stops it on the way out.
    w.unref()
    idleCheck = setInterval(
      () => {
        if (pending.size > 0 || Date.now() - lastBatch < idleAfterMs) return
        o.logger?.debug("event batches are back on the server's thread (the worker was idle)")
        void stop(false)
      },
      Math.min(5000, idleAfterMs),
    )
    idleCheck.unref?.()
  }

  function settle(id: number) {
    const p = pending.get(id)
    pending.delete(id)
    return p
  }

  /** Batches in flight may or may not have committed: their clients are told so, instead of getting a silent second copy. */
  function refusePending(why: string) {
    for (const p of pending.values()) p.reject(new HiveError(503, "unavailable", `${why}; the batch may or may not be stored`))
    pending.clear()
  }

  /** A worker that failed is not started again (a binary without its program would start one per batch). */
  function giveUp(w: Worker, why: string) {
    o.logger?.warn(`${why}; event batches are written on the server's thread from now on`)
    gaveUp = true
    refusePending("the event writer stopped mid-batch")
    if (worker === w) {
      worker = null
      ready = false
      clearInterval(idleCheck)
    }
    w.terminate()
  }

  /** Waits for the batches in flight, then closes the worker's connection and ends it. */
  async function stop(final: boolean) {
    if (final) stopping = true
    const w = worker
    if (!w) return
    worker = null
    ready = false
    clearInterval(idleCheck)
    // A worker that stopped answering must not hold the server's exit up: its batches are then refused, not lost silently.
    const deadline = Date.now() + STOP_WAIT_MS
    while (pending.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    refusePending("the event writer did not answer in time")
    await endWorker(w)
  }

  return {
    /** Appends a batch atomically; resolves once it has committed. Ids are consecutive. */
    appendMany(list: Events.EventInput[], now = Date.now()): Promise<Appended> {
      lastBatch = now
      if (now - windowStart >= 1000) {
        windowStart = now
        windowRows = 0
      }
      windowRows += list.length
      if (shareable && !stopping && !gaveUp && worker === null && windowRows >= startAboveRows) start()
      const w = worker
      if (!w || !ready || list.length === 0) return commit.run(() => store.appendMany(list, now))
      const id = ++seq
      return new Promise<Appended>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        w.postMessage({ type: "append", id, json: JSON.stringify(list), rows: list.length, now } satisfies IngestRequest)
      })
    },
    /** Rows the worker has written (the checkpointer counts them with the server's own). */
    get rowsOffThread() {
      return rowsOffThread
    },
    /** Whether batches currently go through the worker. */
    get offThread() {
      return ready
    },
    /** Before the server closes the database: answers what is in flight and ends the worker. */
    stop: () => stop(true),
  }
}

export type Ingest = ReturnType<typeof createIngest>
