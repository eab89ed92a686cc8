import { describe, expect, test } from "bun:test"
import { testApp } from "../helpers"

async function broker() {
  const ctx = await testApp()
  for (const name of ["alice", "bob"]) ctx.stores.agents.create(name)
  const tokenOf = async (agent: string) => ({ authorization: `Bearer ${(await ctx.auth.issue(agent, 600_000, { scope: "agent", agent })).token}` })
  return { ...ctx, alice: await tokenOf("alice"), bob: await tokenOf("bob") }
}

/** Runs `call` and `meanwhile` together; the call's answer and how long it took. */
async function timed<T>(call: Promise<T>, meanwhile: () => Promise<unknown> = async () => {}) {
  const started = performance.now()
  const [res] = await Promise.all([call.then((r) => ({ r, ms: performance.now() - started })), meanwhile()])
  return res
}

describe("long polls", () => {
  test("a question's wait ends as soon as it is answered, and the answer lands in the asker's inbox", async () => {
    const { call, alice, bob } = await broker()
    const q = (await call("POST", "/api/questions", { target: "bob", question: "ship it?", options: ["yes", "no"] }, alice)).body
    const { r, ms } = await timed(call("GET", `/api/questions/${q.id}?wait=20s`, undefined, alice), async () => {
      await Bun.sleep(150)
      expect((await call("POST", `/api/questions/${q.id}/answer`, { answer: "yes" }, bob)).status).toBe(200)
    })
    expect(r.body).toMatchObject({ status: "answered", answer: "yes" })
    expect(ms).toBeGreaterThan(100)
    expect(ms).toBeLessThan(2000)
    const inbox = (await call("GET", "/api/messages/inbox/alice", undefined, alice)).body.items
    expect(inbox.map((m: { sender: string; body: string }) => [m.sender, JSON.parse(m.body)])).toEqual([
      ["bob", { type: "answer", question_id: q.id, question: "ship it?", answer: "yes" }],
    ])
  })

  test("a question past its deadline ends the wait at the deadline, timed_out", async () => {
    const { call, alice } = await broker()
    const q = (await call("POST", "/api/questions", { question: "anyone?", ttl_ms: 300 }, alice)).body
    const { r, ms } = await timed(call("GET", `/api/questions/${q.id}?wait=20s`, undefined, alice))
    expect(r.body.status).toBe("timed_out")
    expect(ms).toBeGreaterThan(250)
    expect(ms).toBeLessThan(2000)
  })

  test("an approval's wait ends when the phone resolves it; the resolution lands in the agent's inbox", async () => {
    const { call, alice, pairPhone } = await broker()
    const { phoneCall } = await pairPhone()
    const a = (await call("POST", "/api/approvals", { kind: "deploy", ref: "abc123" }, alice)).body
    const { r } = await timed(call("GET", `/api/approvals/${a.id}?wait=20s`, undefined, alice), async () => {
      await Bun.sleep(100)
      const res = await phoneCall("POST", `/phone/api/approvals/${a.id}`, { status: "denied", note: "not on a Friday" })
      expect(res.status).toBe(200)
    })
    expect(r.body).toMatchObject({ status: "denied", resolution_note: "not on a Friday" })
    const [told] = (await call("GET", "/api/messages/inbox/alice", undefined, alice)).body.items
    expect(told.sender).toBe("operator")
    expect(JSON.parse(told.body)).toEqual({ type: "approval", id: a.id, kind: "deploy", ref: "abc123", status: "denied", note: "not on a Friday" })
  })

  test("an empty inbox waits for a message; a claim waits for a command, and gives up at the wait's end", async () => {
    const { call, alice, bob } = await broker()
    const { r } = await timed(call("GET", "/api/messages/inbox/bob?wait=20s", undefined, bob), async () => {
      await Bun.sleep(100)
      await call("POST", "/api/messages", { to: "bob", body: "wake up" }, alice)
    })
    expect(r.body.items.map((m: { body: string }) => m.body)).toEqual(["wake up"])

    const claimed = await timed(call("POST", "/api/commands/claim", { wait: "20s" }, bob), async () => {
      await Bun.sleep(100)
      await call("POST", "/api/commands", { id: "c1", target: "bob", payload: { run: "tests" } })
    })
    expect(claimed.r.body).toMatchObject({ id: "c1", target: "bob", attempts: 1 })
    expect(claimed.ms).toBeLessThan(2000)
    const none = await timed(call("POST", "/api/commands/claim", { wait: "400ms" }, bob))
    expect(none.r.status).toBe(204)
    expect(none.ms).toBeGreaterThan(350)
  })

  test("a waiting request ends when its client goes away; a bad wait is a 400", async () => {
    const { app, call, alice, stores } = await broker()
    const q = stores.broker.ask({ asker: "alice", target: null, question: "?", options: [], multi: false, deadlineAt: null })
    const gone = new AbortController()
    const started = performance.now()
    const pending = app.handle(new Request(`http://localhost/api/questions/${q.id}?wait=30s`, { headers: alice, signal: gone.signal }))
    setTimeout(() => gone.abort(), 100)
    await pending.catch(() => undefined)
    expect(performance.now() - started).toBeLessThan(2000)
    for (const wait of ["30m", "-1", "soon", "1.5s"]) {
      const res = await call("GET", `/api/questions/${q.id}?wait=${wait}`, undefined, alice)
      expect(res.status).toBe(400)
      expect(res.body.error.message).toBe('query field "wait": a duration such as 30s or 500ms (at most 60s)')
    }
  })
})
