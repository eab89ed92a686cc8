import type { Database } from "bun:sqlite"
import type { Logger } from "../log"
import { endWorker, workerProgram } from "../workers"

export type CheckpointerRequest =
  | { type: "start"; path: string; every: number; restartAbove: number; restartEvery: number; idleAfter: number }
  | { type: "stop" }
export type CheckpointerReply = { type: "started"; program: string } | { type: "idle" } | { type: "error"; message: string } | { type: "stopped" }

const PROGRAM = workerProgram("db/checkpointer-worker.ts", new URL("./checkpointer-worker.ts", import.meta.url))

export type CheckpointerOptions = {
  /** How often the running worker checkpoints. */
  everyMs?: number
  /** Rows written in a second that start the worker; below it, SQLite's own auto-checkpoint is enough. */
  startAboveRows?: number
  /** Frames after which the worker forces the WAL back to its start. */
  restartAboveFrames?: number
  idleAfterMs?: number
  /** Rows this process writes through other connections (the event-ingest worker's), counted with the writer's. */
  writtenElsewhere?: () => number
  logger?: Logger
}

/**
 * Moves WAL checkpoints off the request path while writes are heavy. A checkpoint copies pages into the
 * database file and fsyncs it; done by the writer (SQLite's auto-checkpoint), that wait lands on whichever
 * request commits past the threshold, and on a busy server it is about half of what a batch of events costs.
 * A worker thread with its own connection does it instead, started only when writes are heavy (a worker has its
 * own JavaScript heap, which an idle server should not pay for) and let go when writes stop. The writer's
 * auto-checkpoint stays on, at a higher threshold, so the WAL stays bounded even if the worker is gone.
 */
export function createCheckpointer(db: Database, path: string, o: CheckpointerOptions = {}) {
  const everyMs = o.everyMs ?? 50
  const startAboveRows = o.startAboveRows ?? 5000
  const restartAboveFrames = o.restartAboveFrames ?? 4096
  const idleAfterMs = o.idleAfterMs ?? 30_000
  let worker: Worker | null = null
  let stopped = false
  let gaveUp = false

  // The writer's safety net: a little above the worker's restart point.
  db.run(`PRAGMA wal_autocheckpoint = ${restartAboveFrames * 2}`)

  function start() {
    const w = new Worker(PROGRAM)
    w.onmessage = ({ data }: MessageEvent<CheckpointerReply>) => {
      if (data.type === "started") o.logger?.debug(`WAL checkpoints run on a worker thread while writes are heavy (its program: ${data.program})`)
      else if (data.type === "idle" && worker === w) release()
      else if (data.type === "error") o.logger?.debug(`background checkpoint: ${data.message}`)
    }
    w.onerror = (e) => {
      // Not started again: a worker that cannot run would fail (and warn) once a second.
      o.logger?.warn(`the background checkpointer stopped (${e.message}); SQLite's own checkpoints carry on`)
      gaveUp = true
      if (worker === w) worker = null
      w.terminate()
    }
    w.postMessage({
      type: "start",
      path,
      every: everyMs,
      restartAbove: restartAboveFrames,
      restartEvery: 500,
      idleAfter: idleAfterMs,
    } satisfies CheckpointerRequest)
    // Never what keeps the process alive: the server stops it on the way out, and a crash there must not hang.
    w.unref()
    worker = w
  }

  function release() {
    const w = worker
    worker = null
    if (w) void endWorker(w)
  }

  // total_changes(): rows this connection has written, plus what the server wrote through its other ones.
  // One cheap query a second tells a write burst from the trickle SQLite's own checkpoints handle fine.
  const changes = db.query<{ n: number }, []>("SELECT total_changes() AS n")
  const written = () => changes.get()!.n + (o.writtenElsewhere?.() ?? 0)
  let seen = written()
  const watch = setInterval(() => {
    const now = written()
    if (!stopped && !gaveUp && worker === null && now - seen >= startAboveRows) start()
    seen = now
  }, 1000)
  watch.unref?.()

  return {
    get running() {
      return worker !== null
    },
    /** Stops the worker (its connection closes) before the server closes the database. */
    async stop() {
      stopped = true
      clearInterval(watch)
      const w = worker
      if (!w) return
      worker = null
      await endWorker(w)
    },
  }
}
