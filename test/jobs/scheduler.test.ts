import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { listBackups } from "../../src/db/backup"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Config from "../../src/config"
import { parseDuration } from "../../src/config"
import { cancellable, pruneEvents, retentionInEffect } from "../../src/jobs/retention"
import { createScheduler, nextRun, parseSchedule, type Job } from "../../src/jobs/scheduler"
import { createLogger } from "../../src/log"
import { ROOT, tempDir, testApp } from "../helpers"

const every = (text: string) => parseSchedule("test", text, parseDuration)

function capture() {
  const lines: string[] = []
  return { lines, logger: createLogger("debug", (l) => void lines.push(l)) }
}

describe("schedules", () => {
  test("an interval job runs its interval after its last run; a cron job at the expression's next time", () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0)
    const last = { id: 1, job: "j", started_at: now - 20 * 60_000, finished_at: now, rows_affected: 0, error: null, pid: 1, trigger: "schedule" as const }
    expect(nextRun(every("1h"), last, now)).toBe(now + 40 * 60_000)
    expect(nextRun(every("1h"), { ...last, started_at: now - 2 * 3_600_000 }, now)).toBe(now) // overdue: now
    expect(nextRun(every("1h"), undefined, now, now, 30_000)).toBe(now + 30_000) // never ran: shortly after start
    const daily = nextRun(every("0 3 * * *"), undefined, now)
    expect(new Date(daily).getHours()).toBe(3)
    expect(daily - now).toBeGreaterThan(0)
    expect(daily - now).toBeLessThanOrEqual(86_400_000)
  })

  test("a schedule that is neither an interval nor a cron expression is a clear error", () => {
    expect(() => every("sometimes")).toThrow('the schedule of test ("sometimes") is neither an interval like 1h nor a cron expression')
    expect(() => every("0s")).toThrow("between 1s and 3650d")
  })
})

describe("the scheduler", () => {
  test("a slow job never overlaps itself, on its timer or when run by hand", async () => {
    const { stores } = await testApp()
    let active = 0
    let most = 0
    let runs = 0
    const slow: Job = {
      name: "slow",
      description: "",
      run: async () => {
        active++
        most = Math.max(most, active)
        runs++
        await Bun.sleep(1300)
        active--
        return 1
      },
    }
    const s = createScheduler([slow], { slow: every("1s") }, stores.jobRuns, capture().logger, { firstRunDelayMs: 0 })
    s.start()
    await Bun.sleep(100)
    await expect(s.run("slow")).rejects.toThrow("job slow is already running")
    await Bun.sleep(2700)
    s.stop()
    await s.drain()
    expect(most).toBe(1)
    expect(runs).toBeGreaterThanOrEqual(2)
    expect(stores.jobRuns.recent("slow", 10).every((r) => r.finished_at !== null && r.error === null)).toBe(true)
  })

  test("a running job's progress is in its status while it runs, and gone when it ends", async () => {
    const { stores } = await testApp()
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const job: Job = {
      name: "long",
      description: "",
      run: async (_now, _signal, report) => {
        report({ phase: "walking" })
        report({ done: 500, fraction: 0.25 })
        await held
        return 500
      },
    }
    const s = createScheduler([job], { long: every("1d") }, stores.jobRuns, capture().logger)
    const run = s.run("long")
    await Bun.sleep(10)
    expect(s.status()[0]).toMatchObject({ running: true, progress: { done: 500, fraction: 0.25, phase: "walking" } })
    release()
    expect((await run).rows_affected).toBe(500)
    expect(s.status()[0]).toMatchObject({ running: false, progress: null })
  })

  test("the event prune reports how far through the table it is", async () => {
    const { db, stores } = await testApp()
    const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'old', '{}')")
    db.transaction(() => {
      for (let i = 0; i < 25_000; i++) insert.run(1)
    })()
    const seen: { done: number; fraction?: number }[] = []
    const pause = cancellable(new AbortController().signal, (p) => seen.push(p))
    expect(await pruneEvents(stores.events, Date.now(), 1000, pause)).toBe(25_000)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen.at(-1)).toEqual({ done: 25_000, fraction: 1 })
    expect(seen.map((p) => p.fraction)).toEqual([...seen.map((p) => p.fraction)].sort())
  })

  test("a failing job is logged and recorded, and keeps its schedule", async () => {
    const { stores } = await testApp()
    const { lines, logger } = capture()
    const failing: Job = {
      name: "failing",
      description: "",
      run: () => {
        throw new Error("disk on fire")
      },
    }
    const s = createScheduler([failing], { failing: every("1s") }, stores.jobRuns, logger, { firstRunDelayMs: 0 })
    s.start()
    await Bun.sleep(1500)
    s.stop()
    await s.drain()
    const recorded = stores.jobRuns.recent("failing", 10)
    expect(recorded.length).toBeGreaterThanOrEqual(2)
    expect(recorded.every((r) => r.error === "disk on fire" && r.finished_at !== null && r.rows_affected === null)).toBe(true)
    expect(lines.filter((l) => l.includes("ERROR job failing failed: disk on fire")).length).toBe(recorded.length)
    expect(s.status()[0]!.last_run!.error).toBe("disk on fire")
  })

  test("another live process running the job blocks a run; a run left by a dead process is closed as interrupted", async () => {
    const { stores } = await testApp()
    const other = Bun.spawn(["sleep", "30"])
    try {
      stores.jobRuns.begin("vacuum", Date.now(), "manual", other.pid)
      expect(() => stores.jobRuns.begin("vacuum", Date.now(), "schedule")).toThrow(`job vacuum is already running`)
    } finally {
      other.kill("SIGKILL")
      await other.exited
    }
    const mine = stores.jobRuns.begin("vacuum", Date.now(), "schedule")
    const [, abandoned] = stores.jobRuns.recent("vacuum", 2)
    expect(abandoned!.error).toBe(`interrupted: process ${other.pid} ended before the run finished`)
    expect(mine.finished_at).toBeNull()
  })

  test("its timers never keep a process alive", async () => {
    const dir = tempDir()
    const script = join(dir, "idle.ts")
    writeFileSync(
      script,
      `import { Database } from "bun:sqlite"
       import { migrations } from "${ROOT}/migrations"
       import { apply } from "${ROOT}/src/db/migrate"
       import * as JobRuns from "${ROOT}/src/db/job-runs"
       import { createScheduler, parseSchedule } from "${ROOT}/src/jobs/scheduler"
       import { parseDuration } from "${ROOT}/src/config"
       import { silentLogger } from "${ROOT}/src/log"
       import { migrationEnv } from "${ROOT}/src/cli/home"
       import * as Config from "${ROOT}/src/config"
       const db = new Database(":memory:")
       await apply(db, migrations, { env: migrationEnv(db, Config.load({ home: "${dir}" }, { HOME: "${dir}" })) })
       const job = { name: "later", description: "", run: () => 0 }
       createScheduler([job], { later: parseSchedule("later", "1h", parseDuration) }, JobRuns.create(db), silentLogger).start()
       console.log("started")`,
    )
    const proc = Bun.spawn(["bun", script], { stdout: "pipe", stderr: "pipe" })
    const exited = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => "hung")])
    if (exited === "hung") proc.kill("SIGKILL")
    expect(await new Response(proc.stderr).text()).toBe("")
    expect(exited).toBe(0)
    expect(await new Response(proc.stdout).text()).toBe("started\n")
  })
})

describe("the jobs API", () => {
  test("lists every job with its schedule; runs one now; an unknown job is a 404", async () => {
    const { call } = await testApp()
    const list = (await call("GET", "/api/jobs")).body.items as { name: string; schedule: string; next_run_at: number; last_run: unknown }[]
    expect(list.map((j) => j.name)).toEqual([
      "check-sessions",
      "time-out-questions",
      "prune-messages",
      "prune-events",
      "prune-turn-stats",
      "prune-sessions",
      "prune-stale",
      "prune-artifacts",
      "vacuum",
      "optimize",
      "backup",
    ])
    expect(list.find((j) => j.name === "backup")!.schedule).toBe("0 3 * * *")
    expect(list.every((j) => j.last_run === null && j.next_run_at > 0)).toBe(true)
    const ran = await call("POST", "/api/jobs/prune-events/run")
    expect(ran.status).toBe(200)
    expect(ran.body).toMatchObject({ job: "prune-events", rows_affected: 0, error: null })
    const after = (await call("GET", "/api/jobs")).body.items.find((j: { name: string }) => j.name === "prune-events")
    expect(after.last_run).toMatchObject({ trigger: "manual", rows_affected: 0, error: null })
    expect((await call("POST", "/api/jobs/nope/run")).body).toEqual({ error: { code: "not_found", message: "job nope not found" } })
    expect((await call("POST", "/api/jobs/BAD!/run")).status).toBe(400)
  })

  test("the backup job copies from a worker thread: the server answers while it runs, and the copy is whole", async () => {
    const { call, db, config } = await testApp()
    const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'bulk', ?)")
    const payload = JSON.stringify({ filler: "x".repeat(200) })
    db.transaction(() => {
      for (let i = 0; i < 100_000; i++) insert.run(i, payload)
    })()
    let done = false
    const job = call("POST", "/api/jobs/backup/run").finally(() => (done = true))
    // The run is recorded as under way when it starts. On the server's thread, no request could be answered
    // between that moment and its end, so seeing it under way means the copy is made elsewhere.
    let answeredMidRun = false
    while (!done && !answeredMidRun) {
      const backup = (await call("GET", "/api/jobs")).body.items.find((j: { name: string }) => j.name === "backup")
      answeredMidRun = backup.last_run !== null && backup.last_run.finished_at === null
      await Bun.sleep(1)
    }
    const ran = await job
    expect(answeredMidRun).toBe(true)
    expect(ran.body).toMatchObject({ job: "backup", rows_affected: 1, error: null })
    const [copy] = listBackups(config.backupsDir)
    const backupDb = new Database(copy!.path, { readonly: true })
    expect(backupDb.query("SELECT count(*) AS n FROM events WHERE kind = 'bulk'").get()).toEqual({ n: 100_000 })
    backupDb.close()
  })

  test("a job that fails answers with its error and the server keeps serving", async () => {
    const { call, config } = await testApp()
    writeFileSync(config.backupsDir, "a file where the backups folder should be")
    const ran = await call("POST", "/api/jobs/backup/run")
    expect(ran.status).toBe(200)
    expect(ran.body.error).toContain("EEXIST")
    expect((await call("GET", "/health")).status).toBe(200)
    expect((await call("GET", "/api/jobs")).body.items.find((j: { name: string }) => j.name === "backup").last_run.error).toContain("EEXIST")
  })
})

describe("retention at run time", () => {
  const DAY = 86_400_000

  test("a retention.* preference applies from the next prune, without a restart; GET /api/retention says where each age comes from", async () => {
    const { call, db } = await testApp()
    const before = (await call("GET", "/api/retention")).body.items as { name: string; ms: number; source: string }[]
    expect(before.find((r) => r.name === "eventsMs")).toMatchObject({
      ms: 7 * DAY,
      source: "default",
      variable: "HIVE_RETAIN_EVENTS",
      preference: "retention.events",
    })
    expect(before.every((r) => r.source === "default")).toBe(true)

    db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'old', '{}')").run(Date.now() - 4 * DAY)
    const count = () => (db.query("SELECT count(*) AS n FROM events WHERE kind = 'old'").get() as { n: number }).n
    expect((await call("POST", "/api/jobs/prune-events/run")).body.rows_affected).toBe(0)
    expect(count()).toBe(1)

    expect((await call("PUT", "/api/preferences/retention.events", { value: "3d" })).status).toBe(200)
    expect((await call("GET", "/api/retention")).body.items.find((r: { name: string }) => r.name === "eventsMs")).toMatchObject({
      ms: 3 * DAY,
      source: "preference",
    })
    expect((await call("POST", "/api/jobs/prune-events/run")).body).toMatchObject({ rows_affected: 1, error: null })
    expect(count()).toBe(0)
  })

  test("an age under an hour, or one that is not an age, is a 400 and changes nothing", async () => {
    const { call } = await testApp()
    for (const value of ["5m", "abc", 14, "", "-3d"]) {
      const res = await call("PUT", "/api/preferences/retention.events", { value })
      expect(res.status).toBe(400)
      expect(res.body.error.message).toContain("retention.events is an age from 1h to 3650d")
    }
    expect((await call("GET", "/api/preferences/retention.events")).status).toBe(404)
    expect((await call("GET", "/api/retention")).body.items.every((r: { source: string }) => r.source === "default")).toBe(true)
  })

  test("a preview counts what a prune would delete at an age, deletes nothing, and agrees with the prune that follows", async () => {
    const { call, db } = await testApp()
    const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'aged', '{}')")
    for (const days of [1, 2, 4, 5, 6]) insert.run(Date.now() - days * DAY)
    const aged = () => (db.query("SELECT count(*) AS n FROM events WHERE kind = 'aged'").get() as { n: number }).n
    const preview = async (query: string) => (await call("GET", `/api/retention/preview?${query}`)).body
    expect(await preview("name=eventsMs")).toMatchObject({ name: "eventsMs", ms: 7 * DAY, rows: 0 })
    const at3d = await preview("name=eventsMs&age=3d")
    expect(at3d).toMatchObject({ ms: 3 * DAY, rows: 3 })
    expect(at3d.before).toBeLessThanOrEqual(Date.now() - 3 * DAY)
    expect(aged()).toBe(5) // a preview changes nothing
    // A gone session is counted with its events.
    db.prepare("INSERT INTO sessions (id, name, state, created_at, updated_at) VALUES ('old', 'old', 'ended', ?1, ?1)").run(Date.now() - 40 * DAY)
    db.prepare("INSERT INTO events (ts, kind, session_id, payload) VALUES (?, 'its', 'old', '{}')").run(Date.now())
    expect(await preview("name=sessionsMs&age=30d")).toMatchObject({ rows: 1, events: 1 })

    await call("PUT", "/api/preferences/retention.events", { value: "3d" })
    expect((await call("POST", "/api/jobs/prune-events/run")).body.rows_affected).toBe(3)
    expect(aged()).toBe(2)
    for (const bad of ["name=eventsMs&age=5m", "name=eventsMs&age=soon", "name=nope", "age=3d"]) {
      const res = await call("GET", `/api/retention/preview?${bad}`)
      expect(res.status).toBe(400)
    }
  })

  test("an environment variable wins over the preference", () => {
    const jobs = Config.load({ home: "/nonexistent/hive" }, { HOME: "/nonexistent", HIVE_RETAIN_EVENTS: "30d" }).jobs
    expect(jobs.retentionFromEnv).toEqual(["eventsMs"])
    const inEffect = retentionInEffect(jobs, (key) => (key === "retention.events" || key === "retention.messages" ? "2d" : undefined))
    expect(inEffect.find((r) => r.name === "eventsMs")).toMatchObject({ ms: 30 * DAY, source: "environment" })
    expect(inEffect.find((r) => r.name === "messagesMs")).toMatchObject({ ms: 2 * DAY, source: "preference" })
    expect(inEffect.find((r) => r.name === "sessionsMs")!.source).toBe("default")
  })
})
