import { describe, expect, test } from "bun:test"
import * as Retention from "../../src/jobs/retention"
import { testApp } from "../helpers"

type Hit = { kind: string; id: string; session_id: string | null; snippet: string }

async function setup() {
  const t = await testApp()
  const find = async (q: string, extra = "") => {
    const res = await t.call("GET", `/api/search?q=${encodeURIComponent(q)}${extra}`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.items as Hit[]
  }
  const project = (await t.call("POST", "/api/projects", { name: "shop", directory: "/shop" })).body
  const other = (await t.call("POST", "/api/projects", { name: "blog", directory: "/blog" })).body
  const session = (await t.call("POST", "/api/sessions", { project_id: project.id, label: "checkout-work", name: "Flow" })).body
  const elsewhere = (await t.call("POST", "/api/sessions", { project_id: other.id, label: "blog-posts" })).body
  await t.call("POST", "/api/agents", { name: "alice" })
  return { ...t, find, project, session, elsewhere }
}

describe("search", () => {
  test("finds event payloads, messages, questions and session labels, with the match marked", async () => {
    const { call, find, session } = await setup()
    await call("POST", "/api/events", { kind: "tool_use", session_id: session.id, payload: { tool: "Bash", command: "npm run flamingo-build" } })
    await call("POST", "/api/messages", { from: "alice", to: "operator", body: "the flamingo tests pass now" })
    await call("POST", "/api/questions", { asker: "alice", question: "Deploy the flamingo release?", options: ["yes", "no"] })
    const hits = await find("flamingo")
    expect(hits.map((h) => h.kind).sort()).toEqual(["event", "message", "question"])
    expect(hits.find((h) => h.kind === "event")!.snippet).toContain("[flamingo]")
    expect((await find("checkout"))[0]).toMatchObject({ kind: "session", id: session.id })
    expect((await find("flam*")).length).toBe(3)
    expect(await find("flamingo nowhere-else")).toEqual([])
  })

  test("a session or project filter keeps its own events and sessions", async () => {
    const { call, find, session, elsewhere, project } = await setup()
    await call("POST", "/api/events/batch", {
      events: [
        { kind: "note", session_id: session.id, payload: { text: "pelican" } },
        { kind: "note", session_id: elsewhere.id, payload: { text: "pelican" } },
      ],
    })
    expect((await find("pelican")).length).toBe(2)
    expect((await find("pelican", `&session=${session.id}`)).map((h) => h.session_id)).toEqual([session.id])
    expect((await find("pelican", `&project=${project.id}`)).map((h) => h.session_id)).toEqual([session.id])
  })

  test("stays in step after updates, deletes, a purge and a prune", async () => {
    const { call, find, session, db, stores } = await setup()
    const q = (await call("POST", "/api/questions", { asker: "alice", question: "Which colour?", options: ["vermilion", "teal"] })).body
    await call("POST", `/api/questions/${q.id}/answer`, { answer: "teal" })
    // The question, and the answer that went to alice's inbox.
    expect((await find("teal")).map((h) => h.kind).sort()).toEqual(["message", "question"])
    await call("PATCH", `/api/sessions/${session.id}`, { label: "renamed-ocelot" })
    expect(await find("checkout")).toEqual([])
    expect((await find("ocelot")).map((h) => h.id)).toEqual([session.id])

    await call("POST", "/api/events", { kind: "note", agent: "alice", payload: { text: "walrus" } })
    expect((await find("walrus")).length).toBe(1)
    expect((await call("DELETE", "/api/agents/alice?purge=true")).status).toBeLessThan(300)
    expect(await find("walrus")).toEqual([])
    expect(await find("teal")).toEqual([])

    await call("POST", "/api/events", { kind: "note", ts: 1, payload: { text: "narwhal" } })
    expect((await find("narwhal")).length).toBe(1)
    await Retention.pruneEvents(stores.events, Date.now(), 7 * 86_400_000)
    expect(await find("narwhal")).toEqual([])

    expect((await call("DELETE", `/api/sessions/${session.id}`)).status).toBe(204)
    expect(await find("ocelot")).toEqual([])
    // Deleting the newest event never hands its id out again (AUTOINCREMENT): the next event is found under a new id.
    const newest = (await call("POST", "/api/events", { kind: "note", payload: { text: "dugong" } })).body
    expect((await find("dugong")).length).toBe(1)
    db.run("DELETE FROM events WHERE id = ?", [newest.id])
    const next = (await call("POST", "/api/events", { kind: "note", payload: { text: "axolotl" } })).body
    expect(next.id).toBe(newest.id + 1)
    expect(await find("dugong")).toEqual([])
    expect((await find("axolotl")).map((h) => h.id)).toEqual([String(next.id)])
  })

  test("pages through many hits; odd input is never a 500", async () => {
    const { call, session } = await setup()
    await call("POST", "/api/events/batch", {
      events: Array.from({ length: 120 }, (_, i) => ({ kind: "k", session_id: session.id, payload: { text: `capybara ${i}` } })),
    })
    const seen = new Set<string>()
    let cursor: string | null = "0"
    while (cursor !== null) {
      const page: { items: Hit[]; next_cursor: string | null } = (await call("GET", `/api/search?q=capybara&limit=50&cursor=${cursor}`)).body
      for (const h of page.items) seen.add(h.id)
      cursor = page.next_cursor
    }
    expect(seen.size).toBe(120)
    for (const q of ['"', "AND", "(", "NEAR(a b)", "a OR", "*", "col:x", "\u0000"])
      expect((await call("GET", `/api/search?q=${encodeURIComponent(q)}`)).status, q).toBeLessThan(500)
    expect((await call("GET", "/api/search?q=%20%20")).status).toBe(400)
    expect((await call("GET", "/api/search")).status).toBe(400)
    expect((await call("GET", "/api/search?q=x&cursor=-1")).status).toBe(400)
    expect((await call("GET", "/api/search?q=x&cursor=999999")).status).toBe(400)
  })

  test("after a big ingest a search answers within its catch-up budget, says what is not indexed yet, and the index catches up behind it", async () => {
    const { call, db } = await setup()
    // More events than half a second of indexing covers (~250,000 a second on this machine class).
    const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'tool_use', ?)")
    db.transaction(() => {
      for (let i = 0; i < 400_000; i++) insert.run(Date.now(), i === 399_999 ? '{"note":"zebra-last"}' : '{"note":"bulk"}')
    })()
    const first = await call("GET", "/api/search?q=zebra-last")
    expect(first.status).toBe(200)
    expect(first.body.events_not_indexed).toBeGreaterThan(0)
    expect(first.body.items).toEqual([])
    // The background catch-up runs on: a later search finds the newest event, with nothing left behind.
    let later = first
    for (const until = Date.now() + 30_000; later.body.events_not_indexed > 0 && Date.now() < until; await Bun.sleep(100))
      later = await call("GET", "/api/search?q=zebra-last")
    expect(later.body.events_not_indexed).toBe(0)
    expect(later.body.items.map((h: Hit) => h.kind)).toEqual(["event"])
  })
})
