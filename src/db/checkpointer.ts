import type { Database } from "bun:sqlite"
import type { Logger } from "../log"

// The worker's whole program: its own connection, a PASSIVE checkpoint every `every` ms (never waits for the
// writer), and a RESTART one when the WAL has grown past `restartAbove` frames without the writer ever seeing
// it fully copied (under a steady write load it never is, so it would otherwise grow without bound). RESTART
// takes the write lock: with busy_timeout 0 it never waits for it, nor for a long reader (an export), so the
// server's writes are held up for one copy at most, and it is tried at most every `restartEvery` ms. It says
// "idle" after `idleAfter` ms with nothing written and nothing left to copy, and the server lets it go.
const PROGRAM = `
const { Database } = require("bun:sqlite")
let db, timer, quiet = 0, lastLog = -1, lastRestart = 0
self.onmessage = ({ data }) => {
  if (data.stop) { clearInterval(timer); try { db && db.close() } catch {} ; postMessage({ stopped: true }); return }
  db = new Database(data.path)
  db.run("PRAGMA busy_timeout = 0")
  db.run("PRAGMA synchronous = NORMAL")
  const passive = db.query("PRAGMA wal_checkpoint(PASSIVE)")
  const restart = db.query("PRAGMA wal_checkpoint(RESTART)")
  timer = setInterval(() => {
    try {
      const r = passive.get()
      if (r.log > data.restartAbove && Date.now() - lastRestart >= data.restartEvery) {
        lastRestart = Date.now()
        restart.get()
      }
      // Quiet: nothing was written since the last look and everything is copied.
      quiet = r.log === lastLog && r.checkpointed === r.log ? quiet + data.every : 0
      lastLog = r.log
      if (quiet >= data.idleAfter) postMessage({ idle: true })
    } catch (err) {
      postMessage({ error: String(err && err.message || err) })
    }
  }, data.every)
}
`

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
  const urls = new Map<Worker, string>()
  const forget = (w: Worker) => {
    const url = urls.get(w)
    if (url) URL.revokeObjectURL(url)
    urls.delete(w)
  }

  // The writer's safety net: a little above the worker's restart point.
  db.run(`PRAGMA wal_autocheckpoint = ${restartAboveFrames * 2}`)

  function start() {
    const url = URL.createObjectURL(new Blob([PROGRAM], { type: "application/javascript" }))
    const w = new Worker(url)
    // The worker loads its program from the URL asynchronously: revoked once it has answered or been let go.
    urls.set(w, url)
    w.onmessage = ({ data }) => {
      if (data.idle && worker === w) release()
      else if (data.error) o.logger?.debug(`background checkpoint: ${data.error}`)
    }
    w.onerror = (e) => {
      o.logger?.warn(`the background checkpointer stopped (${e.message}); SQLite's own checkpoints carry on`)
      if (worker === w) worker = null
      forget(w)
    }
    w.postMessage({ path, every: everyMs, restartAbove: restartAboveFrames, restartEvery: 500, idleAfter: idleAfterMs })
    // Never what keeps the process alive: the server stops it on the way out, and a crash there must not hang.
    w.unref()
    worker = w
  }

  function release() {
    const w = worker
    worker = null
    w?.postMessage({ stop: true })
    // The worker closes its connection, then ends; terminate() is the backstop should it not.
    setTimeout(() => {
      w?.terminate()
      if (w) forget(w)
    }, 1000).unref?.()
  }

  // total_changes(): rows this connection has written, plus what the server wrote through its other ones.
  // One cheap query a second tells a write burst from the trickle SQLite's own checkpoints handle fine.
  const changes = db.query<{ n: number }, []>("SELECT total_changes() AS n")
  const written = () => changes.get()!.n + (o.writtenElsewhere?.() ?? 0)
  let seen = written()
  const watch = setInterval(() => {
    const now = written()
    if (!stopped && worker === null && now - seen >= startAboveRows) start()
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
      await new Promise<void>((resolve) => {
        const done = setTimeout(resolve, 1000)
        w.onmessage = ({ data }) => {
          if (data.stopped) {
            clearTimeout(done)
            resolve()
          }
        }
        w.postMessage({ stop: true })
      })
      w.terminate()
      forget(w)
    },
  }
}
