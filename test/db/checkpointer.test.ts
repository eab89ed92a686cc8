import { expect, test } from "bun:test"
import { Database } from "bun:sqlite"
import { statSync } from "node:fs"
import { createCheckpointer } from "../../src/db/checkpointer"
import { migratedDb, until } from "../helpers"

const walBytes = (path: string) => statSync(`${path}-wal`).size

test("under a write burst a worker checkpoints the WAL and keeps it bounded; it is let go when writes stop", async () => {
  const { db, config } = await migratedDb()
  const path = config.dbPath
  const checkpointer = createCheckpointer(db, path, { everyMs: 20, startAboveRows: 500, restartAboveFrames: 256, idleAfterMs: 400 })
  expect(db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint).toBe(512)
  expect(checkpointer.running).toBe(false)
  const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'burst', ?)")
  const payload = JSON.stringify({ filler: "x".repeat(400) })
  const writeFor = async (ms: number) => {
    const end = Date.now() + ms
    let n = 0
    while (Date.now() < end) {
      db.transaction(() => {
        for (let i = 0; i < 200; i++) insert.run(Date.now(), payload)
      })()
      n += 200
      await Bun.sleep(1)
    }
    return n
  }
  // ~3 s of steady writes: the worker starts within a second, and the WAL never grows past a few restarts' worth.
  let largest = 0
  const writes = writeFor(3000)
  const sampling = (async () => {
    for (let i = 0; i < 30; i++) {
      await Bun.sleep(100)
      largest = Math.max(largest, walBytes(path))
    }
  })()
  const written = await writes
  await sampling
  expect(checkpointer.running).toBe(true)
  expect(written).toBeGreaterThan(5000)
  // Bounded: far below what was written (an unchecked WAL holds every page written since it began).
  const volume = written * payload.length
  expect(volume).toBeGreaterThan(4 * 1024 * 1024)
  expect(largest).toBeLessThan(volume / 2)
  // Quiet again: everything is copied into the database file, and the worker is let go.
  await until("the worker to be let go", () => !checkpointer.running, 5000)
  const after = db.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get()!
  expect(after.checkpointed).toBe(after.log)
  expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM events").get()!.n).toBe(written)
  await checkpointer.stop()
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" })
  db.close()
})

test("stop() ends a running worker before the database closes", async () => {
  const { db, config } = await migratedDb()
  const checkpointer = createCheckpointer(db, config.dbPath, { everyMs: 20, startAboveRows: 10 })
  const insert = db.prepare("INSERT INTO events (ts, kind) VALUES (?, 'x')")
  db.transaction(() => {
    for (let i = 0; i < 100; i++) insert.run(i)
  })()
  await until("the worker to start", () => checkpointer.running, 3000)
  await checkpointer.stop()
  expect(checkpointer.running).toBe(false)
  db.run("PRAGMA wal_checkpoint(TRUNCATE)")
  expect(walBytes(config.dbPath)).toBe(0)
  db.close()
})

test("a long reader (an export) never makes the worker hold the server's writes up", async () => {
  const { db, config } = await migratedDb()
  const checkpointer = createCheckpointer(db, config.dbPath, { everyMs: 20, startAboveRows: 200, restartAboveFrames: 64 })
  const reader = new Database(config.dbPath, { readonly: true })
  reader.run("BEGIN")
  reader.query("SELECT count(*) FROM events").get() // a read transaction that pins the WAL, as `hive export` does
  const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'burst', ?)")
  const payload = JSON.stringify({ filler: "x".repeat(400) })
  let slowest = 0
  const end = Date.now() + 2500
  while (Date.now() < end) {
    const t0 = performance.now()
    db.transaction(() => {
      for (let i = 0; i < 100; i++) insert.run(Date.now(), payload)
    })()
    slowest = Math.max(slowest, performance.now() - t0)
    await Bun.sleep(1)
  }
  expect(checkpointer.running).toBe(true)
  // Waiting on a RESTART that waits on the reader would take its whole busy timeout (seconds).
  expect(slowest).toBeLessThan(1000)
  reader.run("COMMIT")
  reader.close()
  await checkpointer.stop()
  db.close()
})
