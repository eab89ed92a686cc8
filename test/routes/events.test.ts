import { describe, expect, test } from "bun:test"
import { SCAN_WINDOW, sinceSql, type EventFilter } from "../../src/db/events"
import { createStores } from "../../src/db/stores"
import { createHive } from "../../src/hive"
import { silentLogger } from "../../src/log"
import { createAdminApp } from "../../src/server"
import * as Retention from "../../src/jobs/retention"
import { isolatedConfig, testApp, until } from "../helpers"
import { mkdirSync } from "node:fs"
import { migrations } from "../../migrations"
import { migrationEnv } from "../../src/cli/home"
import { apply } from "../../src/db/migrate"
import { open as openDb } from "../../src/db/open"

type Frame = { id?: number; data?: { id: number; kind: string; agent: string | null }; comment?: string }

/** Reads an SSE response frame by frame. */
function sse(res: Response) {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const frames: Frame[] = []
  async function next(timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const at = buffer.indexOf("\n\n")
      if (at !== -1) {
        const raw = buffer.slice(0, at)
        buffer = buffer.slice(at + 2)
        const frame: Frame = {}
        for (const line of raw.split("\n")) {
          if (line.startsWith("id: ")) frame.id = Number(line.slice(4))
          else if (line.startsWith("data: ")) frame.data = JSON.parse(line.slice(6))
          else if (line.startsWith(": ")) frame.comment = line.slice(2)
        }
        frames.push(frame)
        return frame
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no SSE frame within ${timeoutMs} ms`)
      const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => undefined)])
      if (!chunk) continue
      if (chunk.done) throw new Error("stream ended")
      buffer += decoder.decode(chunk.value)
    }
  }
  /** The next n events, skipping comments. */
  async function events(n: number) {
    const out: Frame[] = []
    while (out.length < n) {
      const f = await next()
      if (f.data) out.push(f)
    }
    return out.map((f) => f.data!.id)
  }
  return { next, events, cancel: () => reader.cancel() }
}

async function setup(limits = { heartbeatMs: 5000, maxStreams: 4 }) {
  const ctx = await testApp()
  const app = createAdminApp({ ...ctx.hive, stores: createStores(ctx.db), config: { ...ctx.config, maxBodyBytes: 1 << 20 }, streams: limits })
  const open = (headers: Record<string, string> = {}, query = "") => {
    const abort = new AbortController()
    const res = app.handle(new Request(`http://localhost/api/events/stream${query}`, { headers: { ...ctx.headers, ...headers }, signal: abort.signal }))
    return { res, abort }
  }
  const post = (body: unknown) =>
    app.handle(
      new Request("http://localhost/api/events", {
        method: "POST",
        headers: { ...ctx.headers, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    )
  return { ...ctx, app, open, post }
}

describe("events", () => {
  test("append one or a batch; query since an id with filters and a limit", async () => {
    const { call } = await testApp()
    const one = await call("POST", "/api/events", { kind: "turn_start", agent: "alice", payload: { n: 1 } })
    expect(one).toMatchObject({ status: 201, body: { id: 1, kind: "turn_start", agent: "alice", payload: { n: 1 }, ts: expect.any(Number) } })
    const batch = await call("POST", "/api/events/batch", {
      events: [
        { kind: "tool", agent: "bob" },
        { kind: "tool", agent: "alice", session_id: "s1" },
        { kind: "turn_end", agent: "alice" },
      ],
    })
    expect(batch.body).toEqual({ count: 3, first_id: 2, last_id: 4 })
    expect((await call("GET", "/api/events?agent=alice")).body.items.map((e: { id: number }) => e.id)).toEqual([1, 3, 4])
    expect((await call("GET", "/api/events?since=2&kind=tool")).body.items.map((e: { id: number }) => e.id)).toEqual([3])
    expect((await call("GET", "/api/events?session_id=s1")).body.items.map((e: { id: number }) => e.id)).toEqual([3])
    expect((await call("GET", "/api/events?limit=2")).body).toMatchObject({ next_cursor: "2" })
    expect((await call("POST", "/api/events/batch", { events: Array.from({ length: 1001 }, () => ({ kind: "x" })) })).status).toBe(400)
    expect((await call("POST", "/api/events", { payload: {} })).status).toBe(400)
  })

  test("a stream replays from Last-Event-ID, then goes live, with no gap and no duplicate across a reconnect", async () => {
    const { open, post } = await setup()
    for (let i = 0; i < 5; i++) await post({ kind: "e", agent: "alice" })
    const first = open({ "last-event-id": "2" })
    const a = sse(await first.res)
    expect(await a.events(3)).toEqual([3, 4, 5])
    await post({ kind: "e" })
    expect(await a.events(1)).toEqual([6])
    first.abort.abort()
    await a.cancel().catch(() => {})

    // Missed while disconnected:
    for (let i = 0; i < 3; i++) await post({ kind: "e" })
    const second = open({ "last-event-id": "6" })
    const b = sse(await second.res)
    const replay = b.events(5)
    await Bun.sleep(20)
    await post({ kind: "e" })
    await post({ kind: "e" })
    expect(await replay).toEqual([7, 8, 9, 10, 11])
    second.abort.abort()
  })

  test("batches written by the ingest worker and single events written by the server reach a stream in id order, each once", async () => {
    const ctx = await testApp()
    const hive = createHive(ctx.config, ctx, silentLogger, { ingest: { startAboveRows: 1 } })
    const app = createAdminApp(hive)
    const send = (path: string, body: unknown) =>
      app.handle(
        new Request(`http://localhost/api/events${path}`, {
          method: "POST",
          headers: { ...ctx.headers, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      )
    await send("/batch", { events: [{ kind: "warm" }] })
    await until("the ingest worker", () => hive.ingest.offThread, 5000)
    const abort = new AbortController()
    const stream = sse(await app.handle(new Request("http://localhost/api/events/stream", { headers: ctx.headers, signal: abort.signal })))
    await stream.next() // connected
    const writes: Promise<Response>[] = []
    for (let i = 0; i < 10; i++) {
      writes.push(send("/batch", { events: Array.from({ length: 50 }, (_, k) => ({ kind: "b", payload: { i, k } })) }))
      writes.push(send("/", { kind: "one", payload: { i } }))
    }
    expect((await Promise.all(writes)).map((r) => r.status)).toEqual(Array(20).fill(201))
    const ids = await stream.events(510)
    expect(ids).toEqual(Array.from({ length: 510 }, (_, i) => ids[0]! + i))
    expect(hive.ingest.rowsOffThread).toBe(500)
    abort.abort()
    await hive.ingest.stop()
  })

  test("?since= and filters work on the stream", async () => {
    const { open, post } = await setup()
    await post({ kind: "e", agent: "alice" })
    await post({ kind: "e", agent: "bob" })
    const s = open({}, "?since=0&agent=bob")
    const stream = sse(await s.res)
    expect(await stream.events(1)).toEqual([2])
    await post({ kind: "e", agent: "alice" })
    await post({ kind: "e", agent: "bob" })
    expect(await stream.events(1)).toEqual([4])
    s.abort.abort()
  })

  test("a stream opened without a cursor starts at the newest event: no replay of history", async () => {
    const { open, post } = await setup()
    await post({ kind: "old" })
    await post({ kind: "old" })
    const s = open()
    const stream = sse(await s.res)
    await stream.next() // connected
    await post({ kind: "new" })
    expect(await stream.events(1)).toEqual([3])
    s.abort.abort()
  })

  test("an idle stream sends heartbeat comments", async () => {
    const { open } = await setup({ heartbeatMs: 100, maxStreams: 4 })
    const s = open()
    const stream = sse(await s.res)
    const comments: string[] = []
    while (comments.length < 3) {
      const f = await stream.next(2000)
      if (f.comment) comments.push(f.comment)
    }
    expect(comments).toEqual(["connected", "heartbeat", "heartbeat"])
    s.abort.abort()
  })

  test("streams beyond the cap get a clear 503; closing one frees its place", async () => {
    const { open } = await setup({ heartbeatMs: 5000, maxStreams: 2 })
    const a = open()
    const b = open()
    const sa = sse(await a.res)
    sse(await b.res)
    await sa.next()
    const third = await open().res
    expect(third.status).toBe(503)
    expect(await third.json()).toEqual({ error: { code: "too_many_streams", message: "at most 2 event streams at once here; close one and retry" } })
    a.abort.abort()
    await Bun.sleep(50)
    expect((await open().res).status).toBe(200)
    b.abort.abort()
  })

  test("a bad Last-Event-ID is a 400", async () => {
    const { open } = await setup()
    expect((await open({ "last-event-id": "abc" }).res).status).toBe(400)
  })

  test("purging an agent deletes its events", async () => {
    const { call, db } = await testApp()
    await call("POST", "/api/agents", { name: "alice" })
    await call("POST", "/api/events", { kind: "e", agent: "alice" })
    await call("POST", "/api/events", { kind: "e", agent: "bob" })
    await call("DELETE", "/api/agents/alice?purge=true")
    expect(db.query("SELECT agent FROM events").all()).toEqual([{ agent: "bob" }])
  })
})

describe("batches", () => {
  test("a batch of any size is stored atomically, in order, with consecutive ids", async () => {
    const { call, db } = await testApp()
    await call("POST", "/api/events", { kind: "before" })
    // 637: two multi-row statements of 250, then 137 single-row ones.
    const events = Array.from({ length: 637 }, (_, i) => ({ kind: "b", agent: i % 2 ? "alice" : null, payload: { i }, ...(i === 300 ? { ts: 42 } : {}) }))
    expect((await call("POST", "/api/events/batch", { events })).body).toEqual({ count: 637, first_id: 2, last_id: 638 })
    const stored = db
      .query<{ id: number; payload: string; agent: string | null }, []>("SELECT id, payload, agent FROM events WHERE kind = 'b' ORDER BY id")
      .all()
    expect(stored.map((r) => JSON.parse(r.payload).i)).toEqual(events.map((_, i) => i))
    expect(stored[1]!.agent).toBe("alice")
    expect(stored[600]!.agent).toBe(null)
    expect(db.query("SELECT ts FROM events WHERE id = 302").get()).toEqual({ ts: 42 })
    // One bad event refuses the whole batch.
    const bad = [...events.slice(0, 10), { kind: "" }]
    expect((await call("POST", "/api/events/batch", { events: bad })).status).toBe(400)
    expect(db.query("SELECT count(*) AS n FROM events").get()).toEqual({ n: 638 })
    expect((await call("POST", "/api/events/batch", { events: [] })).body).toEqual({ count: 0, first_id: null, last_id: null })
  })
})

describe("filtered reads at scale", () => {
  test("the store's page queries seek the filter's index instead of scanning the table", async () => {
    const { db } = await testApp()
    const plan = (filter: EventFilter) =>
      db
        .query<{ detail: string }, Record<string, string | number>>(`EXPLAIN QUERY PLAN ${sinceSql(filter)}`)
        .all({ after: 0, upTo: 9, limit: 5, ...filter } as Record<string, string | number>)
        .map((r) => r.detail)
        .join(" | ")
    // No kind index (it cost a third of ingest): a kind filter scans a bounded rowid range instead.
    expect(plan({ kind: "x" })).toContain("INTEGER PRIMARY KEY (rowid>? AND rowid<?)")
    expect(plan({ agent: "x" })).toContain("events_by_agent")
    expect(plan({ session_id: "x" })).toContain("events_by_session")
    // Only hook events name a tool: a partial index, which batch ingest of other events never touches.
    expect(plan({ tool_name: "Bash" })).toContain("events_by_tool")
  })

  test("a filtered stream moves past rows that do not match, and still delivers every match", async () => {
    const { open, post, call } = await setup()
    await call("POST", "/api/events/batch", { events: Array.from({ length: 1000 }, () => ({ kind: "noise" })) })
    const s = open({}, "?kind=signal")
    const stream = sse(await s.res)
    await stream.next() // connected
    await call("POST", "/api/events/batch", { events: Array.from({ length: 1000 }, () => ({ kind: "noise" })) })
    await post({ kind: "signal" })
    await call("POST", "/api/events/batch", { events: [{ kind: "noise" }, { kind: "signal" }] })
    expect(await stream.events(2)).toEqual([2001, 2003])
    s.abort.abort()
  })
})

describe("listing events in pages", () => {
  test("a rare kind is found across pages that each scan a bounded id window, never lost between them", async () => {
    const { call, db } = await testApp()
    const noise = db.prepare("INSERT INTO events (ts, kind) VALUES (1, 'noise')")
    db.transaction(() => {
      for (let i = 0; i < SCAN_WINDOW * 2 + 10; i++) noise.run()
    })()
    await call("POST", "/api/events", { kind: "rare" })
    const seen: number[] = []
    let cursor = "0"
    let pages = 0
    for (; cursor !== null && pages < 10; pages++) {
      const page = (await call("GET", `/api/events?kind=rare&since=${cursor}`)).body
      seen.push(...page.items.map((e: { id: number }) => e.id))
      cursor = page.next_cursor
    }
    expect(seen).toEqual([SCAN_WINDOW * 2 + 11])
    expect(pages).toBe(3) // two empty windows that still say more follow, then the match
  })

  test("a full page of the largest size still says another page follows", async () => {
    const { call } = await testApp()
    await call("POST", "/api/events/batch", { events: Array.from({ length: 600 }, (_, i) => ({ kind: "k", payload: { i } })) })
    const first = (await call("GET", "/api/events?limit=500")).body
    expect(first.items).toHaveLength(500)
    expect(first.next_cursor).toBe("500")
    const second = (await call("GET", `/api/events?since=${first.next_cursor}&limit=10000`)).body
    expect(second.items.map((e: { id: number }) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => 501 + i))
    expect(second.next_cursor).toBeNull()
    expect((await call("GET", "/api/events")).body.items).toHaveLength(50)
  })
})

describe("ids are cursors, so they are never reused", () => {
  test("after a prune deletes every event, a stream resumed from the last id still gets what comes next", async () => {
    const { open, post, stores } = await setup()
    for (let i = 0; i < 3; i++) await post({ kind: "old", ts: 1 })
    await Retention.pruneEvents(stores.events, Date.now(), 7 * 86_400_000) // a quiet week: nothing is left
    const s = open({ "last-event-id": "3" })
    const stream = sse(await s.res)
    await stream.next() // connected
    const res = await post({ kind: "new" })
    expect(((await res.json()) as { id: number }).id).toBe(4)
    expect(await stream.events(1)).toEqual([4])
    s.abort.abort()
  })

  test("a database from before migration 014 keeps its ids and continues after them", async () => {
    const config = isolatedConfig()
    mkdirSync(config.home, { recursive: true })
    const db = openDb(config.dbPath)
    await apply(db, migrations.slice(0, 13), { env: migrationEnv(db, config) })
    db.run("INSERT INTO events (id, ts, kind) VALUES (7, 1, 'a'), (9, 2, 'b')")
    db.run("INSERT INTO messages (id, sender, recipient, body, sent_at) VALUES (5, 'x', 'y', 'hi', 1)")
    await apply(db, migrations, { env: migrationEnv(db, config) })
    expect(db.query("SELECT id, kind FROM events ORDER BY id").all()).toEqual([
      { id: 7, kind: "a" },
      { id: 9, kind: "b" },
    ])
    db.run("DELETE FROM events WHERE id = 9")
    db.run("DELETE FROM messages")
    expect(db.query("INSERT INTO events (ts, kind) VALUES (3, 'c') RETURNING id").get()).toEqual({ id: 10 })
    expect(db.query("INSERT INTO messages (sender, recipient, body, sent_at) VALUES ('x', 'y', 'again', 2) RETURNING id").get()).toEqual({ id: 6 })
    expect(db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name").all()).toEqual([
      { name: "events_by_agent" },
      { name: "events_by_session" },
      { name: "events_by_tool" },
      { name: "events_by_tool_use" },
    ])
    db.close()
  })

  test("migration 021 rebuilds the table without the payload CHECK, keeping rows, the id high-water mark and the search trigger", async () => {
    const config = isolatedConfig()
    mkdirSync(config.home, { recursive: true })
    const db = openDb(config.dbPath)
    await apply(db, migrations.slice(0, 20), { env: migrationEnv(db, config) })
    db.run(
      `INSERT INTO events (ts, agent, session_id, kind, payload) VALUES (1, 'a', 's', 'k', '{"n":1}'), (2, NULL, NULL, 'k', '[2]'), (3, 'a', NULL, 'k', '{}'), (4, 'a', 's', 'k', '{}')`,
    )
    db.run("DELETE FROM events WHERE id = 4") // the newest row pruned: its id must still never come back
    db.run("INSERT INTO events_fts (rowid, body, session_id) VALUES (2, 'two', NULL)")
    await apply(db, migrations, { env: migrationEnv(db, config) })
    expect(db.query("SELECT sql FROM sqlite_master WHERE name = 'events'").get()).toEqual({ sql: expect.not.stringContaining("json_valid") })
    expect(db.query("SELECT id, ts, agent, session_id, kind, payload FROM events ORDER BY id").all()).toEqual([
      { id: 1, ts: 1, agent: "a", session_id: "s", kind: "k", payload: '{"n":1}' },
      { id: 2, ts: 2, agent: null, session_id: null, kind: "k", payload: "[2]" },
      { id: 3, ts: 3, agent: "a", session_id: null, kind: "k", payload: "{}" },
    ])
    expect(db.query("INSERT INTO events (ts, kind) VALUES (5, 'k') RETURNING id").get()).toEqual({ id: 5 })
    db.run("DELETE FROM events WHERE id = 2")
    expect(db.query("SELECT count(*) AS n FROM events_fts").get()).toEqual({ n: 0 })
    expect(db.query("SELECT name FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('index', 'trigger') ORDER BY name").all()).toEqual([
      { name: "events_by_agent" },
      { name: "events_by_session" },
      { name: "events_by_tool" },
      { name: "events_by_tool_use" },
      { name: "events_fts_delete" },
    ])
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" })
    db.close()
  })
})
