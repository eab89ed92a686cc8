import type { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ORPHAN_GRACE_MS } from "../../src/artifacts/blobs"
import * as Retention from "../../src/jobs/retention"
import { testApp } from "../helpers"

const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 22, 12)
const count = (db: Database, sql: string) => (db.query(sql).get() as { n: number }).n

/** Counts the pauses a job takes, so a test can tell a chunked delete from one big statement. */
function pauses() {
  const p = { n: 0, pause: async () => void p.n++ }
  return p
}

describe("retention rules, each with a chosen now", () => {
  test("delivered messages older than 30 days go; undelivered ones stay whatever their age", async () => {
    const { db, stores } = await testApp()
    stores.agents.create("alice")
    const old = stores.broker.send("alice", "operator", "old, delivered", NOW - 40 * DAY)
    stores.broker.send("alice", "operator", "old, never delivered", NOW - 40 * DAY)
    stores.broker.acknowledge("operator", old.id, NOW - 35 * DAY)
    const recent = stores.broker.send("alice", "operator", "delivered recently", NOW - 40 * DAY)
    db.run("UPDATE messages SET delivered_at = ? WHERE id = ?", [NOW - 2 * DAY, recent.id])
    expect(await Retention.pruneMessages(stores.broker, NOW, 30 * DAY)).toBe(1)
    expect(db.query("SELECT body FROM messages ORDER BY id").all()).toEqual([{ body: "old, never delivered" }, { body: "delivered recently" }])
  })

  test("dead, ended and expired sessions untouched for 30 days go with their events and artifacts; active ones stay", async () => {
    const { db, stores, app, headers } = await testApp()
    const make = (state: string, ageDays: number) => {
      const s = stores.sessions.create({ name: `${state}-${ageDays}`, state }, NOW - ageDays * DAY)
      for (let i = 0; i < 30; i++) stores.events.append({ kind: "k", session_id: s.id }, NOW - ageDays * DAY)
      return s
    }
    const kept = [make("active", 90), make("dead", 10), make("ended", 29)]
    const gone = Array.from({ length: 45 }, (_, i) => make(["dead", "ended", "expired"][i % 3]!, 31 + i))
    const upload = await app.handle(
      new Request(`http://localhost/api/sessions/${gone[0]!.id}/artifacts?type=log`, {
        method: "POST",
        headers: { ...headers, "content-type": "text/plain" },
        body: "a log",
      }),
    )
    expect(upload.status).toBe(201)
    const p = pauses()
    expect(await Retention.pruneSessions(stores.sessions, NOW, 30 * DAY, p.pause)).toBe(45)
    // 45 sessions, SESSION_STEP at a time: each step is one short transaction.
    expect(p.n).toBe(Math.floor(45 / Retention.SESSION_STEP))
    expect((db.query("SELECT name FROM sessions ORDER BY name").all() as { name: string }[]).map((r) => r.name)).toEqual(kept.map((k) => k.name).sort())
    // Each kept session's 30, and the session.changed its creation made; the pruned sessions' went with them.
    expect(count(db, "SELECT count(*) AS n FROM events")).toBe(kept.length * 31)
    expect(count(db, "SELECT count(*) AS n FROM artifacts")).toBe(0)
  })

  test("events older than 7 days go, by age only: a chatty agent keeps as much history as a quiet one", async () => {
    const { db, stores } = await testApp()
    const insert = db.prepare("INSERT INTO events (ts, agent, kind) VALUES (?, ?, 'k')")
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(NOW - 8 * DAY, "chatty")
      for (let i = 0; i < 5000; i++) insert.run(NOW - 6 * DAY, "chatty")
      insert.run(NOW - 8 * DAY, "quiet")
      insert.run(NOW - 1 * DAY, "quiet")
      // A backdated event arriving late is pruned by its age, wherever its id falls.
      insert.run(NOW - 9 * DAY, "late")
    })()
    expect(await Retention.pruneEvents(stores.events, NOW, 7 * DAY)).toBe(5002)
    expect(db.query("SELECT agent, count(*) AS n FROM events GROUP BY agent ORDER BY agent").all()).toEqual([
      { agent: "chatty", n: 5000 },
      { agent: "quiet", n: 1 },
    ])
  })

  test("turn stats older than 90 days go", async () => {
    const { db, stores } = await testApp()
    for (const age of [100, 91, 89, 1]) stores.turnStats.record({ agent: "a", started_at: NOW - age * DAY, ended_at: NOW - age * DAY + 1000 })
    expect(await Retention.pruneTurnStats(stores.turnStats, NOW, 90 * DAY)).toBe(2)
    expect(count(db, "SELECT count(*) AS n FROM turn_stats")).toBe(2)
  })

  test("expired reply tokens and pairing windows, stale SDK sessions and old job runs go; live ones stay", async () => {
    const { db, stores } = await testApp()
    const token = db.prepare("INSERT INTO session_tokens (token_hash, agent_session_id, created_at, expires_at) VALUES (?, 's', 0, ?)")
    token.run("expired", NOW - 1)
    token.run("live", NOW + DAY)
    stores.sdkSessions.set("gitlab:a:r:1", "old", NOW - 31 * DAY)
    stores.sdkSessions.set("gitlab:a:r:2", "fresh", NOW - 1 * DAY)
    const run = stores.jobRuns.begin("vacuum", NOW - 40 * DAY, "schedule")
    stores.jobRuns.finish(run.id, NOW - 40 * DAY, 0, null)
    stores.jobRuns.finish(stores.jobRuns.begin("vacuum", NOW - DAY, "schedule").id, NOW - DAY, 0, null)
    stores.pairing.open({ id: "expired", secretHash: "s", codeHash: "c", now: NOW - 10 * 60_000, ttlMs: 120_000 })
    stores.pairing.open({ id: "open", secretHash: "s", codeHash: "c", now: NOW, ttlMs: 120_000 })
    expect(await Retention.pruneStale(stores, NOW, { sdkSessionsMs: 30 * DAY, jobRunsMs: 30 * DAY })).toBe(4)
    expect(db.query("SELECT id FROM pairing_windows").all()).toEqual([{ id: "open" }])
    expect(db.query("SELECT token_hash FROM session_tokens").all()).toEqual([{ token_hash: "live" }])
    expect(db.query("SELECT session_id FROM claude_sdk_sessions").all()).toEqual([{ session_id: "fresh" }])
    expect(count(db, "SELECT count(*) AS n FROM job_runs")).toBe(1)
  })

  test("questions past their deadline become timed_out, never deleted; approvals and answered questions stay", async () => {
    const { db, stores, scheduler } = await testApp()
    stores.agents.create("alice")
    const answered = stores.broker.ask({ asker: "alice", target: null, question: "ok?", options: ["yes"], multi: false, deadlineAt: null })
    stores.broker.answer(answered.id, "yes")
    stores.broker.ask({ asker: "alice", target: null, question: "late?", options: [], multi: false, deadlineAt: Date.now() - 1 })
    stores.broker.requestApproval({ agent: "alice", kind: "spawn" })
    expect((await scheduler.run("time-out-questions")).rows_affected).toBe(1)
    expect(db.query("SELECT status FROM questions ORDER BY asked_at, id").all()).toEqual([{ status: "answered" }, { status: "timed_out" }])
    expect(count(db, "SELECT count(*) AS n FROM approvals")).toBe(1)
  })
})

describe("large deletes go in chunks", () => {
  test("a prune of many rows is many bounded statements with a pause between them", async () => {
    const { db, stores } = await testApp()
    const insert = db.prepare("INSERT INTO turn_stats (agent, started_at, ended_at, duration_ms) VALUES ('a', ?, ?, 0)")
    db.transaction(() => {
      for (let i = 0; i < Retention.CHUNK * 3 + 5; i++) insert.run(NOW - 100 * DAY, NOW - 100 * DAY)
    })()
    const p = pauses()
    expect(await Retention.pruneTurnStats(stores.turnStats, NOW, 90 * DAY, p.pause)).toBe(Retention.CHUNK * 3 + 5)
    expect(p.n).toBe(3)
  })

  test("the event walk pauses after every slice of ids; a slice halves when its delete is slow, and grows when it is quick", async () => {
    const { db, stores } = await testApp()
    const insert = db.prepare("INSERT INTO events (ts, kind) VALUES (?, 'k')")
    const total = Retention.EVENT_SLICE.start * 4
    db.transaction(() => {
      for (let i = 0; i < total; i++) insert.run(i % 2 ? NOW : NOW - 30 * DAY)
    })()
    // Every step "takes" 10 ms: the slices halve, 1000, 500, 250, … down to the smallest, and stay there.
    let now = 0
    const slow = pauses()
    const deleted: number[] = []
    let before = 0
    const pause: Retention.Pause = async (progress) => {
      deleted.push(progress!.done - before)
      before = progress!.done
      await slow.pause()
    }
    expect(await Retention.pruneEvents(stores.events, NOW, 7 * DAY, pause, () => (now += 5))).toBe(total / 2)
    // Every other event is old: a slice of n ids deletes about n / 2.
    const slices = [1000, 500, 250, 125, 62]
    for (let i = 0; i < slices.length; i++) expect(Math.abs(deleted[i]! - slices[i]! / 2)).toBeLessThanOrEqual(1)
    expect(Math.max(...deleted.slice(5))).toBeLessThanOrEqual(Math.ceil(Retention.EVENT_SLICE.min / 2))
    // Quick steps double the slice, up to the largest.
    db.transaction(() => {
      for (let i = 0; i < Retention.EVENT_SLICE.max * 3; i++) insert.run(NOW - 30 * DAY)
    })()
    const quick = pauses()
    expect(await Retention.pruneEvents(stores.events, NOW, 7 * DAY, quick.pause, () => 0)).toBe(Retention.EVENT_SLICE.max * 3)
    // 1000 + 2000 + 4000 + 8000 + 10000 + 5000 (what is left): six slices.
    expect(quick.n).toBe(6)
  })
})

describe("reclaiming space", () => {
  test("after a prune, the vacuum job gives the freed pages back and the file shrinks", async () => {
    const { db, stores, config } = await testApp()
    expect(db.query("PRAGMA auto_vacuum").get()).toEqual({ auto_vacuum: 2 })
    const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'k', json_object('pad', hex(randomblob(500))))")
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(NOW - 30 * DAY)
    })()
    stores.maintenance.checkpoint()
    const before = statSync(config.dbPath).size
    await Retention.pruneEvents(stores.events, NOW, 7 * DAY)
    expect(stores.maintenance.freePages()).toBeGreaterThan(100)
    expect(await Retention.reclaim(stores.maintenance)).toBeGreaterThan(100)
    expect(stores.maintenance.freePages()).toBe(0)
    expect(statSync(config.dbPath).size).toBeLessThan(before / 2)
    expect(statSync(`${config.dbPath}-wal`).size).toBe(0)
  })
})

describe("artifact files", () => {
  test("files of deleted sessions go once past the grace period; referenced and fresh files stay", async () => {
    const { app, headers, call, home, blobs, stores } = await testApp()
    const project = (await call("POST", "/api/projects", { name: "p", directory: "/p" })).body
    const upload = async (sid: string, body: string) =>
      (await (
        await app.handle(
          new Request(`http://localhost/api/sessions/${sid}/artifacts?type=log`, {
            method: "POST",
            headers: { ...headers, "content-type": "text/plain" },
            body,
          }),
        )
      ).json()) as { path: string }
    const kept = (await call("POST", "/api/sessions", { project_id: project.id })).body
    const gone = (await call("POST", "/api/sessions", { project_id: project.id })).body
    const keep = await upload(kept.id, "kept")
    const orphan = await upload(gone.id, "orphaned")
    expect((await call("DELETE", `/api/sessions/${gone.id}`)).status).toBe(204)
    const now = Date.now()
    expect(await Retention.pruneArtifactFiles(stores.artifacts, blobs, now)).toBe(0) // within the grace period
    const old = new Date(now - ORPHAN_GRACE_MS - 1000)
    for (const p of [keep.path, orphan.path]) utimesSync(join(home, p), old, old)
    mkdirSync(join(home, "artifacts", ".incoming"), { recursive: true })
    writeFileSync(join(home, "artifacts", ".incoming", "crashed-upload"), "half")
    utimesSync(join(home, "artifacts", ".incoming", "crashed-upload"), old, old)
    expect(await Retention.pruneArtifactFiles(stores.artifacts, blobs, now)).toBe(2)
    expect(existsSync(join(home, orphan.path))).toBe(false)
    expect(existsSync(join(home, "artifacts", gone.id))).toBe(false)
    expect(existsSync(join(home, keep.path))).toBe(true)
  })
})
