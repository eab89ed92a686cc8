import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { join } from "node:path"
import { createGroupCommit } from "../../src/db/group-commit"
import { open } from "../../src/db/open"
import { tempDir, testApp } from "../helpers"

function setup() {
  const path = join(tempDir(), "gc.db")
  const db = open(path)
  db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
  const other = new Database(path, { readonly: true })
  const committed = () => other.query<{ n: number }, []>("SELECT count(*) AS n FROM t").get()!.n
  return { db, committed, commit: createGroupCommit(db) }
}

describe("group commit", () => {
  test("writes queued in one turn share one transaction and are acknowledged only after it commits", async () => {
    const { db, committed, commit } = setup()
    const seenByOthers: number[] = []
    const writes = Array.from({ length: 50 }, (_, i) =>
      commit.run(() => {
        db.run("INSERT INTO t (v) VALUES (?)", [`v${i}`])
        seenByOthers.push(committed())
        return i
      }),
    )
    const first = await writes[0]
    expect(first).toBe(0)
    // By the time any caller hears back, everything is committed ...
    expect(committed()).toBe(50)
    // ... and while the batch ran, another connection saw none of it: one transaction, one commit.
    expect(seenByOthers).toEqual(Array(50).fill(0))
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  test("a transaction holds writes up to maxBatch in weight, and always at least one, however heavy", async () => {
    const { db, committed } = setup()
    const commit = createGroupCommit(db, 100)
    const seenByOthers = new Map<string, number>()
    const write = (v: string, weight: number) =>
      commit.run(() => {
        db.run("INSERT INTO t (v) VALUES (?)", [v])
        seenByOthers.set(v, committed())
      }, weight)
    // 40 + 60 fit in one transaction; the next 60 starts the second; 500 alone is the third, then 1 the fourth.
    await Promise.all([write("a", 40), write("b", 60), write("c", 60), write("d", 30), write("e", 500), write("f", 1)])
    expect(Object.fromEntries(seenByOthers)).toEqual({ a: 0, b: 0, c: 2, d: 2, e: 4, f: 5 })
    expect(committed()).toBe(6)
  })

  test("a failing write is rolled back alone; its neighbours in the batch commit", async () => {
    const { db, committed, commit } = setup()
    const results = await Promise.allSettled(["a", "b", "a", "c"].map((v) => commit.run(() => db.run("INSERT INTO t (v) VALUES (?)", [v]).changes)))
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"])
    expect((results[2] as PromiseRejectedResult).reason.message).toContain("UNIQUE constraint failed")
    expect(committed()).toBe(3)
  })

  test("concurrent API writes all land, and a conflicting one fails alone with its own 409", async () => {
    const { call, db } = await testApp()
    const dirs = Array.from({ length: 40 }, (_, i) => `/concurrent/${i}`)
    dirs.push("/concurrent/7")
    const responses = await Promise.all(dirs.map((directory, i) => call("POST", "/api/projects", { name: `p${i}`, directory })))
    expect(responses.filter((r) => r.status === 201)).toHaveLength(40)
    // The two requests for /concurrent/7 race; whichever commits second gets the 409.
    const pair = [responses[7]!, responses.at(-1)!].map((r) => r.status).sort()
    expect(pair).toEqual([201, 409])
    expect(responses.find((r) => r.status === 409)!.body).toEqual({
      error: { code: "conflict", message: "a project for directory /concurrent/7 already exists" },
    })
    expect(db.query("SELECT count(*) AS n FROM projects").get()).toEqual({ n: 40 })
  })
})

describe("group commit when a write fails", () => {
  test("a failing write in a batch of many leaves every other write committed exactly once", async () => {
    const { db, committed, commit } = setup()
    const values = Array.from({ length: 30 }, (_, i) => `v${i}`)
    values[17] = "v3" // a duplicate: fails on the UNIQUE constraint
    const results = await Promise.allSettled(values.map((v) => commit.run(() => db.run("INSERT INTO t (v) VALUES (?)", [v]).changes)))
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1)
    expect((results[17] as PromiseRejectedResult).reason.message).toContain("UNIQUE constraint failed")
    expect(committed()).toBe(29)
    expect(db.query("SELECT count(DISTINCT v) AS n FROM t").get()).toEqual({ n: 29 })
  })

  test("a write that fails after writing something leaves nothing of itself behind", async () => {
    const { db, committed, commit } = setup()
    const results = await Promise.allSettled([
      commit.run(() => db.run("INSERT INTO t (v) VALUES ('a')").changes),
      commit.run(() => {
        db.run("INSERT INTO t (v) VALUES ('half')")
        throw new Error("changed its mind")
      }),
      commit.run(() => db.run("INSERT INTO t (v) VALUES ('b')").changes),
    ])
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"])
    expect(db.query("SELECT v FROM t ORDER BY v").all()).toEqual([{ v: "a" }, { v: "b" }])
    expect(committed()).toBe(2)
  })

  test("a batch waits for a write lock another connection holds without stopping the event loop", async () => {
    const { db, committed, commit } = setup()
    const holder = open(db.filename)
    holder.run("BEGIN IMMEDIATE")
    holder.run("INSERT INTO t (v) VALUES ('held')")
    // SQLite's busy handler would sleep on this thread: the holder, on the same thread, could never let go.
    let ticks = 0
    const ticking = setInterval(() => ticks++, 2)
    const release = setTimeout(() => holder.run("COMMIT"), 40)
    const written = commit.run(() => db.run("INSERT INTO t (v) VALUES ('queued')").changes)
    expect(await written).toBe(1)
    clearInterval(ticking)
    clearTimeout(release)
    expect(ticks).toBeGreaterThanOrEqual(5)
    expect(committed()).toBe(2)
    holder.close()
  })

  test("writes that find the lock taken for longer than maxWaitMs fail as busy, and later ones go through", async () => {
    const { db, committed } = setup()
    const commit = createGroupCommit(db, 256, undefined, { maxWaitMs: 60 })
    const holder = open(db.filename)
    holder.run("BEGIN IMMEDIATE")
    const started = performance.now()
    const outcome = await commit
      .run(() => db.run("INSERT INTO t (v) VALUES ('late')"))
      .then(
        () => "written",
        (err: Error & { code?: string }) => err.code,
      )
    expect(outcome).toBe("SQLITE_BUSY")
    expect(performance.now() - started).toBeGreaterThanOrEqual(55)
    expect(committed()).toBe(0)
    holder.run("ROLLBACK")
    await commit.run(() => db.run("INSERT INTO t (v) VALUES ('after')"))
    expect(committed()).toBe(1)
    holder.close()
  })
})
