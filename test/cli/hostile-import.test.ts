import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { migrations } from "../../migrations"
import { open } from "../../src/db/open"
import { FORMAT } from "../../src/db/portable"
import { createStores } from "../../src/db/stores"
import { cancellable, Cancelled, pruneEvents } from "../../src/jobs/retention"
import { createScheduler } from "../../src/jobs/scheduler"
import { silentLogger } from "../../src/log"
import { cliEnv, hive, migratedDb, tempDir } from "../helpers"

// Issue 15, findings 3 and 4: one imported line must not stop every later write, and the audit log only grows.

function exportFile(records: { table: string; row: Record<string, unknown> }[]): string {
  const lines = [
    JSON.stringify({ hive_export: FORMAT, schema: migrations.length, exported_at: 1, scope: { kind: "all" }, secrets: "omitted" }),
    ...records.map((r) => JSON.stringify(r)),
    JSON.stringify({ end: true, records: records.length }),
  ]
  const file = join(tempDir(), "hostile.jsonl")
  writeFileSync(file, `${lines.join("\n")}\n`)
  return file
}

const event = (row: Record<string, unknown>) => ({ table: "events", row: { id: 5, ts: 1, agent: null, session_id: null, kind: "k", payload: "{}", ...row } })

describe("values a file brings", () => {
  test("ids and times out of range fail alone, with a reason; the id sequence is untouched and writes go on", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const file = exportFile([
      event({ id: "9223372036854775807" }),
      // biome-ignore lint/correctness/noPrecisionLoss: a number past 2^53 is the point
      event({ id: 9223372036854775807 }),
      event({ id: -3 }),
      event({ id: 7, ts: 1e308 }),
      event({ id: 8, ts: -1 }),
      event({ id: 9, kind: 42 }),
      event({ id: 10 }),
    ])
    const r = await hive(["import", file], env)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain("1 inserted, 6 failed")
    expect(r.stdout).toContain('events.id must be a whole number from -(2^53-1) to 2^53-1, got "9223372036854775807"')
    expect(r.stdout).toContain("events.id must not be below 1, got -3")
    expect(r.stdout).toContain("events.ts must be a whole number")
    expect(r.stdout).toContain("events.ts must not be negative, got -1")
    expect(r.stdout).toContain("events.kind must be text")
    const db = open(join(env.HIVE_HOME, "hive.db"))
    expect(db.query("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get()).toEqual({ seq: 10 })
    expect(createStores(db).events.append({ kind: "after" }).id).toBe(11)
    db.close()
  })

  test("the event prune walks the ids that exist: two events at the ends of the id range take one slice", async () => {
    const { db } = await migratedDb()
    const stores = createStores(db)
    stores.events.append({ kind: "old", ts: 1 })
    db.run("INSERT INTO events (id, ts, kind, payload) VALUES (9007199254740000, 1, 'far', '{}')")
    let pauses = 0
    const pause = async () => {
      if (++pauses > 10) throw new Error("the walk went over empty id slices")
    }
    expect(await pruneEvents(stores.events, 1000, 10, pause)).toBe(2)
    expect(pauses).toBe(1)
  })

  test("doctor fails an id sequence near its end, naming the table and the fix", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const db = new Database(join(env.HIVE_HOME, "hive.db"))
    db.run("INSERT OR REPLACE INTO sqlite_sequence (name, seq) VALUES ('events', 9223372036854775807)")
    db.close()
    const r = await hive(["doctor"], env)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/FAIL\s+ids\s+the id sequence of events is at \d+, near its end/)
    expect(r.stdout).toContain("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM events)")
  })
})

describe("stopping while a job runs", () => {
  test("a running job stops at its next pause when the scheduler stops, and drain never waits past its limit", async () => {
    const { db } = await migratedDb()
    const stores = createStores(db)
    let steps = 0
    const endless = {
      name: "endless",
      description: "",
      run: async (_now: number, signal: AbortSignal) => {
        const pause = cancellable(signal)
        for (;;) {
          steps++
          await pause()
        }
      },
    }
    const stubborn = { name: "stubborn", description: "", run: () => new Promise<number>(() => {}) }
    const scheduler = createScheduler(
      [endless, stubborn],
      { endless: { kind: "every", ms: 3_600_000, text: "1h" }, stubborn: { kind: "every", ms: 3_600_000, text: "1h" } },
      stores.jobRuns,
      silentLogger,
    )
    const run = scheduler.run("endless")
    await Bun.sleep(20)
    scheduler.stop()
    const result = await run
    expect(result.error).toContain("cancelled: hive is stopping")
    expect(steps).toBeGreaterThan(0)
    expect(new Cancelled("x")).toBeInstanceOf(Error)

    void scheduler.run("stubborn")
    const started = Date.now()
    await scheduler.drain(200)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe("the audit log only grows", () => {
  test("an imported entry is appended under a new id and marked imported; replace never rewrites one; the import is audited", async () => {
    const env = cliEnv()
    expect((await hive(["secrets", "set", "mine"], env, "v")).code).toBe(0)
    const read = () => {
      const db = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
      const rows = db
        .query<{ id: number; action: string; subject: string; actor: string; imported_at: number | null }, []>(
          "SELECT id, action, subject, actor, imported_at FROM audit_log ORDER BY id",
        )
        .all()
      db.close()
      return rows
    }
    const [own] = read()
    expect(own).toMatchObject({ id: 1, action: "set", subject: "secret:mine", imported_at: null })

    const forged = [
      { table: "audit_log", row: { id: 1, at: 5, action: "reveal", subject: "secret:mine", actor: "token:someone-else", detail: "{}" } },
      { table: "audit_log", row: { id: 900, at: 6, action: "reveal", subject: "secret:mine", actor: "token:other", detail: "{}" } },
    ]
    const r = await hive(["import", exportFile(forged), "--on-conflict", "replace"], env)
    expect(r.code).toBe(0)
    const after = read()
    expect(after[0]).toEqual(own!) // never replaced
    expect(after.slice(1, 3).map((a) => [a.actor, a.imported_at !== null, a.id < 900])).toEqual([
      ["token:someone-else", true, true],
      ["token:other", true, true],
    ])
    expect(after.at(-1)).toMatchObject({ action: "import", actor: expect.stringMatching(/^cli:/), imported_at: null })

    // The same file again changes no entry (it adds only the audit of this second import).
    expect((await hive(["import", exportFile(forged)], env)).code).toBe(0)
    expect(read().length).toBe(after.length + 1)

    // Nothing rewrites the log, not even SQL on the file.
    const db = new Database(join(env.HIVE_HOME, "hive.db"))
    expect(() => db.run("UPDATE audit_log SET actor = 'x' WHERE id = 1")).toThrow("the audit log is append-only")
    expect(() => db.run("DELETE FROM audit_log")).toThrow("the audit log is append-only")
    db.close()
  })
})

describe("files too large to be hive's", () => {
  test("an import line longer than any record is refused before it fills memory, and nothing is imported", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const file = exportFile([event({ id: 1 })])
    const [header, ...rest] = (await Bun.file(file).text()).split("\n")
    const huge = JSON.stringify(event({ id: 2, payload: JSON.stringify({ x: "y".repeat(17 * 1024 * 1024) }) }))
    writeFileSync(file, [header, huge, ...rest].join("\n"))
    const r = await hive(["import", file], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("line 2: longer than 16 Mi characters, more than any hive record; nothing was imported")
  })

  test("a legacy file larger than the older tools ever wrote is skipped with the reason and left in place", async () => {
    const { legacyHome } = await import("../legacy/home")
    const h = legacyHome()
    truncateSync(h.files.sessions, 65 * 1024 * 1024) // sparse: its size, without writing 65 MiB
    const r = await hive(["migrate", ...h.flags], h.env)
    expect(r.stdout).toContain(`${h.files.sessions}: skipped, it is 65 MiB, more than the 64 MiB hive reads from a legacy file`)
    expect(existsSync(h.files.sessions)).toBe(true)
  })
})
