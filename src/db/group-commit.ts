import type { Database } from "bun:sqlite"
import { sqliteCode } from "../errors"

type Pending = { fn: () => unknown; weight: number; resolve(value: unknown): void; reject(err: unknown): void }

/**
 * Group commit: write requests that arrive in the same event-loop turn share one BEGIN IMMEDIATE
 * transaction, so N concurrent writers pay for one WAL commit instead of N. Each write runs in its
 * own savepoint (a failing one is rolled back alone and rejects alone), and every caller is answered
 * only after the shared COMMIT, so an acknowledged write is a durable write.
 *
 * The write lock is never waited for on this thread. SQLite's busy handler sleeps 1, 2, 5, 10… ms between
 * tries, and on the server's thread every request sleeps with it: while the checkpointer's RESTART held the
 * lock for 3 ms, a batch's BEGIN slept 8, and the whole server with it. Here BEGIN
 * fails at once when the lock is taken, and the batch tries again `retryMs` later, the event loop free
 * meanwhile; after `maxWaitMs` of that (the busy_timeout every connection has) its writes fail as busy.
 */
export function createGroupCommit(db: Database, maxBatch = 256, onCommit?: () => void, o: { retryMs?: number; maxWaitMs?: number } = {}) {
  const retryMs = o.retryMs ?? 1
  const maxWaitMs = o.maxWaitMs ?? 5000
  // maxBatch bounds a transaction by the weight of its writes (1 each unless the caller says: rows, say),
  // since the write lock is held, and other connections wait, for as long as the transaction lasts.
  let queue: Pending[] = []
  let scheduled = false
  /** Since when the batch at the head of the queue has found the write lock taken (0: it has not). */
  let busySince = 0
  // Not prepared statements: SQLite applies this pragma while compiling it, not when it runs.
  const noWait = () => db.run("PRAGMA busy_timeout = 0")
  const waitAgain = () => db.run(`PRAGMA busy_timeout = ${maxWaitMs}`)
  const begin = db.prepare("BEGIN IMMEDIATE")
  const commit = db.prepare("COMMIT")
  const rollback = db.prepare("ROLLBACK")

  type Outcome = { ok: boolean; value: unknown }

  /** Takes the write lock if it is free; false when another connection holds it. */
  function tryBegin(): boolean {
    noWait()
    try {
      begin.run()
      return true
    } catch (err) {
      if (!sqliteCode(err)?.startsWith("SQLITE_BUSY")) throw err
      return false
    } finally {
      waitAgain()
    }
  }

  /** The whole batch in one transaction (begun); each write in a savepoint when `isolated`. Throws if the transaction fails. */
  function attempt(batch: Pending[], isolated: boolean): Outcome[] {
    const outcomes: Outcome[] = []
    try {
      for (const item of batch) {
        if (!isolated) {
          outcomes.push({ ok: true, value: item.fn() })
          continue
        }
        try {
          // bun's nested transaction is a SAVEPOINT: one failed write does not undo its neighbours.
          outcomes.push({ ok: true, value: db.transaction(item.fn)() })
        } catch (err) {
          outcomes.push({ ok: false, value: err })
        }
      }
      commit.run()
      return outcomes
    } catch (err) {
      if (db.inTransaction) rollback.run()
      throw err
    }
  }

  function flush() {
    scheduled = false
    let began: boolean
    try {
      began = tryBegin()
    } catch (err) {
      began = false
      busySince = 0
      for (const item of queue.splice(0)) item.reject(err)
      return
    }
    if (!began) {
      const now = performance.now()
      busySince ||= now
      if (now - busySince < maxWaitMs) return retryLater()
      busySince = 0
      // As a busy_timeout would have: the writes waiting now fail as busy (a 503 the client may retry).
      const busy = Object.assign(new Error("database is locked"), { name: "SQLiteError", code: "SQLITE_BUSY", errno: 5 })
      for (const item of queue.splice(0)) item.reject(busy)
      return
    }
    busySince = 0
    let size = 0
    let weight = 0
    while (size < queue.length && (size === 0 || weight + queue[size]!.weight <= maxBatch)) weight += queue[size++]!.weight
    const batch = queue.slice(0, size)
    queue = queue.slice(batch.length)
    if (queue.length) schedule()
    let outcomes: Outcome[]
    try {
      // Writes rarely fail (requests are validated before they queue), so first without a savepoint per
      // write (two statements each); if one throws, the batch is rolled back and run again, isolated.
      outcomes = attempt(batch, false)
    } catch (fast) {
      try {
        if (batch.length === 1) outcomes = [{ ok: false, value: fast }]
        else {
          // The lock was just given back with the rollback: the isolated run waits for it as any connection would.
          begin.run()
          outcomes = attempt(batch, true)
        }
      } catch (err) {
        for (const item of batch) item.reject(err)
        return
      }
    }
    // Whoever waits for a change (a stream, a long poll) looks again: what it waits for may have just committed.
    if (outcomes.some((o) => o.ok)) onCommit?.()
    batch.forEach((item, i) => {
      if (outcomes[i]!.ok) item.resolve(outcomes[i]!.value)
      else item.reject(outcomes[i]!.value)
    })
  }

  function schedule() {
    if (scheduled) return
    scheduled = true
    // setImmediate (not a microtask): requests parsed in this same I/O turn join the batch.
    setImmediate(flush)
  }

  function retryLater() {
    scheduled = true
    setTimeout(flush, retryMs)
  }

  return {
    /**
     * Runs a synchronous write in the next shared transaction; resolves after it has committed. The write
     * may run twice (when a neighbour fails, the batch is re-run isolated), so it must touch nothing but
     * the database.
     */
    run<T>(fn: () => T extends PromiseLike<unknown> ? never : T, weight = 1): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, weight, resolve: resolve as (v: unknown) => void, reject })
        schedule()
      })
    },
  }
}

export type GroupCommit = ReturnType<typeof createGroupCommit>
