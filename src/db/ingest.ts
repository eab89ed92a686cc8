import type { Database } from "bun:sqlite"
import { HiveError } from "../errors"
import type { Logger } from "../log"
import type * as Events from "./events"
import type { GroupCommit } from "./group-commit"

export type Appended = { count: number; first_id: number | null; last_id: number | null }

type WireError = { name: string; message: string; code?: string }
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
  logger?: Logger
}

/**
 * Where the worker's program is. In the binary it is an entry point of its own (Makefile: WORKERS), named by
 * its path under src/; import.meta.url cannot find it there, since the build bakes in the build machine's path.
 */
const WORKER = Bun.main.startsWith("/$bunfs/") ? "./db/ingest-worker.ts" : new URL("./ingest-worker.ts", import.meta.url).href

/** A storage error from the worker, as the handlers know it (`code` is what maps SQLITE_FULL to a 507). */
const rebuild = (e: WireError) => Object.assign(new Error(e.message), { name: e.name, code: e.code })

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
  let seq = 0
  const pending = new Map<number, { resolve(a: Appended): void; reject(err: unknown): void }>()
  let rowsOffThread = 0
  let windowStart = 0
  let windowRows = 0
  let lastBatch = 0
  let idleCheck: ReturnType<typeof setInterval> | undefined

  function start() {
    const w = new Worker(WORKER)
    worker = w
    w.onmessage = ({ data }: MessageEvent<IngestReply>) => {
      switch (data.type) {
        case "ready":
          ready = worker === w
          if (ready) o.logger?.debug(`event batches are written on a worker thread while they pour in (its program: ${data.program})`)
          break
        case "unavailable":
          o.logger?.warn(`the event writer thread could not open the database (${data.error.message}); batches stay on the server's thread`)
          release(w)
          break
        case "appended":
        case "failed": {
          const p = pending.get(data.id)
          pending.delete(data.id)
          if (data.type === "appended") {
            rowsOffThread += data.appended.count
            p?.resolve(data.appended)
          }
          else p?.reject(rebuild(data.error))
          break
        }
      }
    }
    w.onerror = (e) => {
      o.logger?.warn(`the event writer thread stopped (${e.message}); batches go through the server's thread`)
      // Its batches may or may not have committed: the client is told so, instead of a silent second copy.
      for (const p of pending.values()) p.reject(new HiveError(503, "unavailable", "the event writer stopped mid-batch; the batch may or may not be stored"))
      pending.clear()
      release(w)
    }
    w.postMessage({ type: "open", path: db.filename, autocheckpoint: db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint } satisfies IngestRequest)
    // Never what keeps the process alive; the server stops it on the way out.
    w.unref()
    idleCheck = setInterval(() => {
      if (pending.size > 0 || Date.now() - lastBatch < idleAfterMs) return
      o.logger?.debug("event batches are back on the server's thread (the worker was idle)")
      void stop(false)
    }, Math.min(5000, idleAfterMs))
    idleCheck.unref?.()
  }

  function release(w: Worker) {
    if (worker !== w) return
    worker = null
    ready = false
    clearInterval(idleCheck)
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
    while (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 1000)
      w.onmessage = ({ data }: MessageEvent<IngestReply>) => {
        if (data.type === "stopped") {
          clearTimeout(done)
          resolve()
        }
      }
      w.postMessage({ type: "stop" } satisfies IngestRequest)
    })
    w.terminate()
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
      if (shareable && !stopping && worker === null && windowRows >= startAboveRows) start()
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
