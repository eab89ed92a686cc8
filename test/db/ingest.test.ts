import { expect, test } from "bun:test"
import { Database } from "bun:sqlite"
import { migrations } from "../../migrations"
import { migrationEnv } from "../../src/cli/home"
import { apply } from "../../src/db/migrate"
import { fromStorageError } from "../../src/errors"
import { createGroupCommit } from "../../src/db/group-commit"
import { createIngest, type IngestOptions } from "../../src/db/ingest"
import { createStores } from "../../src/db/stores"
import type { EventInput } from "../../src/db/events"
import { isolatedConfig, migratedDb, tempDir, until } from "../helpers"
import { silentLogger } from "../../src/log"
import { writeFileSync } from "node:fs"
import { join } from "node:path"

async function setup(o: IngestOptions = {}) {
  const { db } = await migratedDb()
  const stores = createStores(db)
  const ingest = createIngest(db, stores.events, createGroupCommit(db), { startAboveRows: 1, ...o })
  return { db, ingest }
}

const batch = (tag: string, n: number): EventInput[] => Array.from({ length: n }, (_, i) => ({ kind: "ingest", agent: tag, payload: { tag, i } }))
const rowsOf = (db: Database, from: number, to: number) =>
  db.query<{ agent: string; payload: string }, [number, number]>("SELECT agent, payload FROM events WHERE id BETWEEN ? AND ? ORDER BY id").all(from, to)

test("heavy batches go through the worker: each is atomic with consecutive ids, and the server's connection sees every row", async () => {
  const { db, ingest } = await setup()
  // The first batch starts the worker and is written on the server's thread meanwhile.
  await ingest.appendMany(batch("first", 10))
  await until("the worker to be ready", () => ingest.offThread, 5000)
  const results = await Promise.all(Array.from({ length: 20 }, (_, b) => ingest.appendMany(batch(`b${b}`, 100))))
  expect(ingest.rowsOffThread).toBe(2000)
  results.forEach((r, b) => {
    expect(r.count).toBe(100)
    expect(r.last_id! - r.first_id! + 1).toBe(100)
    const rows = rowsOf(db, r.first_id!, r.last_id!)
    expect(rows.map((row) => row.agent)).toEqual(Array(100).fill(`b${b}`))
    expect(rows.map((row) => JSON.parse(row.payload).i)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })
  expect(db.query("SELECT count(*) AS n FROM events").get()).toEqual({ n: 2010 })
  await ingest.stop()
  expect(ingest.offThread).toBe(false)
  // After stop, batches are still written (on the server's thread) and the worker does not come back.
  const after = await ingest.appendMany(batch("after", 5000))
  expect(after.count).toBe(5000)
  expect(ingest.offThread).toBe(false)
  db.close()
})

test("a batch that breaks a rule fails alone, with the storage error the handlers map; its neighbours commit", async () => {
  const { db, ingest } = await setup()
  await ingest.appendMany(batch("warm", 1))
  await until("the worker to be ready", () => ingest.offThread, 5000)
  const broken = [...batch("broken", 3), { kind: null } as unknown as EventInput]
  const [good, bad, alsoGood] = await Promise.allSettled([
    ingest.appendMany(batch("good", 50)),
    ingest.appendMany(broken),
    ingest.appendMany(batch("also", 50)),
  ])
  expect(good.status).toBe("fulfilled")
  expect(alsoGood.status).toBe("fulfilled")
  expect(bad.status).toBe("rejected")
  const err = (bad as PromiseRejectedResult).reason as Error & { code?: string }
  expect(err.name).toBe("SQLiteError")
  expect(err.code).toMatch(/^SQLITE_CONSTRAINT/)
  expect(err.message).toContain("NOT NULL")
  // Not a disk-full or busy condition: the error handler turns it into a 500 of its own, not a mislabelled 507.
  expect(fromStorageError(err)).toBeUndefined()
  expect(db.query("SELECT count(*) AS n FROM events WHERE agent = 'broken'").get()).toEqual({ n: 0 })
  expect(db.query("SELECT count(*) AS n FROM events WHERE agent IN ('good', 'also')").get()).toEqual({ n: 100 })
  await ingest.stop()
  db.close()
})

test("stop() answers every batch in flight before the worker ends; an idle worker is let go", async () => {
  const { db, ingest } = await setup({ idleAfterMs: 300 })
  await ingest.appendMany(batch("warm", 1))
  await until("the worker to be ready", () => ingest.offThread, 5000)
  await ingest.appendMany(batch("x", 10))
  // Idle: let go, and the next heavy batch starts a new one.
  await until("the idle worker to be let go", () => !ingest.offThread, 5000)
  await ingest.appendMany(batch("again", 10))
  await until("a new worker", () => ingest.offThread, 5000)
  const inFlight = Array.from({ length: 10 }, (_, b) => ingest.appendMany(batch(`f${b}`, 200)))
  await ingest.stop()
  const done = await Promise.all(inFlight)
  expect(done.map((r) => r.count)).toEqual(Array(10).fill(200))
  expect(db.query("SELECT count(*) AS n FROM events WHERE agent LIKE 'f%'").get()).toEqual({ n: 2000 })
  db.close()
})

test("a worker that cannot run is given up once: batches are written on the server's thread, with one warning", async () => {
  const broken = join(tempDir(), "broken-worker.ts")
  writeFileSync(broken, 'throw new Error("this program cannot run")\n')
  const warnings: string[] = []
  const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) }
  const { db, ingest } = await setup({ program: broken, logger })
  await ingest.appendMany(batch("one", 10))
  await until("the failure to be noticed", () => warnings.length > 0, 5000)
  for (let i = 0; i < 5; i++) expect((await ingest.appendMany(batch(`more${i}`, 10))).count).toBe(10)
  await Bun.sleep(200)
  expect(warnings).toHaveLength(1)
  expect(warnings[0]).toContain("this program cannot run")
  expect(warnings[0]).toContain("written on the server's thread from now on")
  expect(ingest.offThread).toBe(false)
  expect(db.query("SELECT count(*) AS n FROM events").get()).toEqual({ n: 60 })
  await ingest.stop()
  db.close()
})

test("below the threshold, or over an in-memory database, batches stay on the server's thread", async () => {
  const { db, ingest } = await setup({ startAboveRows: 10_000 })
  for (let i = 0; i < 5; i++) await ingest.appendMany(batch("small", 100))
  await Bun.sleep(100)
  expect(ingest.offThread).toBe(false)
  expect(ingest.rowsOffThread).toBe(0)
  await ingest.stop()
  db.close()

  // A worker cannot open a private in-memory database: it is never started for one.
  const memory = new Database(":memory:")
  await apply(memory, migrations, { env: migrationEnv(memory, isolatedConfig()) })
  const inMemory = createIngest(memory, createStores(memory).events, createGroupCommit(memory), { startAboveRows: 1 })
  for (let i = 0; i < 3; i++) expect((await inMemory.appendMany(batch("m", 100))).count).toBe(100)
  await Bun.sleep(100)
  expect(inMemory.offThread).toBe(false)
  expect(memory.query("SELECT count(*) AS n FROM events").get()).toEqual({ n: 300 })
  memory.close()
})
