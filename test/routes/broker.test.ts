import { describe, expect, test } from "bun:test"
import { testApp } from "../helpers"

async function withAgents(...names: string[]) {
  const ctx = await testApp()
  for (const name of names) expect((await ctx.call("POST", "/api/agents", { name })).status).toBe(201)
  return ctx
}

describe("agents", () => {
  test("create with the default model, set the model, destroy as a tombstone, revive", async () => {
    const { call } = await withAgents()
    expect((await call("POST", "/api/agents", { name: "alice" })).body).toMatchObject({ name: "alice", model: "haiku", status: "active", destroyed_at: null })
    expect((await call("POST", "/api/agents", { name: "alice" })).status).toBe(409)
    expect((await call("PATCH", "/api/agents/alice", { model: "opus" })).body.model).toBe("opus")
    const destroyed = await call("DELETE", "/api/agents/alice")
    expect(destroyed.body).toMatchObject({ status: "destroyed", model: "opus", destroyed_at: expect.any(Number) })
    expect((await call("DELETE", "/api/agents/alice")).body.error.message).toBe("agent alice is already destroyed")
    expect((await call("POST", "/api/agents/alice/revive")).body).toMatchObject({ status: "active", destroyed_at: null, model: "opus" })
    expect((await call("POST", "/api/agents/alice/revive")).status).toBe(409)
    for (const name of ["operator", "Alice", "-x", ""]) expect((await call("POST", "/api/agents", { name })).status).toBe(400)
  })

  test("destroy fails the agent's pending approvals; purge leaves nothing of the agent but its approvals", async () => {
    const { call, db, vault } = await withAgents("alice", "bob")
    const pending = (await call("POST", "/api/approvals", { agent: "alice", kind: "apply_commit", ref: "abc123" })).body
    await call("POST", "/api/messages", { from: "alice", to: "bob", body: "hi bob" })
    await call("POST", "/api/messages", { from: "operator", to: "alice", body: "hi alice" })
    await call("POST", "/api/questions", { asker: "alice", question: "ok?" })
    await call("POST", "/api/commands", { id: "c1", target: "alice", payload: { do: "x" } })
    vault.putSecret("agent_token:alice", new TextEncoder().encode("pat"), "t")
    vault.putSecret("agent_token:bob", new TextEncoder().encode("pat-b"), "t")

    await call("DELETE", "/api/agents/alice")
    expect((await call("GET", `/api/approvals/${pending.id}`)).body).toMatchObject({ status: "failed", resolution_note: "agent destroyed" })
    expect((await call("GET", "/api/messages/history/alice/bob")).body.items).toHaveLength(1) // a tombstone keeps its state

    expect((await call("DELETE", "/api/agents/alice?purge=true")).status).toBe(204)
    expect((await call("GET", "/api/agents/alice")).status).toBe(404)
    const left = (sql: string) => db.query<{ n: number }, []>(sql).get()!.n
    expect(left("SELECT count(*) AS n FROM messages WHERE sender = 'alice' OR recipient = 'alice'")).toBe(0)
    expect(left("SELECT count(*) AS n FROM questions WHERE asker = 'alice' OR target = 'alice'")).toBe(0)
    expect(left("SELECT count(*) AS n FROM commands WHERE target = 'alice'")).toBe(0)
    expect(left("SELECT count(*) AS n FROM secrets WHERE name = 'agent_token:alice'")).toBe(0)
    expect(left("SELECT count(*) AS n FROM secrets WHERE name = 'agent_token:bob'")).toBe(1)
    expect(left("SELECT count(*) AS n FROM approvals WHERE agent = 'alice'")).toBe(1) // the audit trail stays
  })
})

describe("messages", () => {
  test("inbox returns undelivered messages oldest first until acknowledged; history by correspondent", async () => {
    const { call } = await withAgents("alice", "bob")
    const sent = []
    for (const body of ["one", "two", "three"]) sent.push((await call("POST", "/api/messages", { from: "alice", to: "bob", body })).body)
    await call("POST", "/api/messages", { from: "bob", to: "alice", body: "reply" })
    expect((await call("GET", "/api/messages/inbox/bob")).body.items.map((m: { body: string }) => m.body)).toEqual(["one", "two", "three"])
    expect((await call("GET", "/api/messages/inbox/bob?limit=2")).body.next_cursor).toBe(String(sent[1].id))
    expect((await call("POST", "/api/messages/inbox/bob/ack", { up_to: sent[1].id })).body).toEqual({ acknowledged: 2 })
    expect((await call("GET", "/api/messages/inbox/bob")).body.items.map((m: { body: string }) => m.body)).toEqual(["three"])
    expect((await call("GET", "/api/messages/history/bob/alice")).body.items.map((m: { body: string }) => m.body)).toEqual(["one", "two", "three", "reply"])
  })

  test("messages to unknown or destroyed agents are refused", async () => {
    const { call } = await withAgents("alice")
    expect((await call("POST", "/api/messages", { from: "alice", to: "ghost", body: "x" })).body.error.message).toBe("agent ghost not found")
    await call("DELETE", "/api/agents/alice")
    expect(await call("POST", "/api/messages", { from: "operator", to: "alice", body: "x" })).toMatchObject({
      status: 409,
      body: { error: { message: "agent alice is destroyed" } },
    })
  })
})

describe("approvals", () => {
  test("request, list pending, resolve once with a note; resolving again is a 409", async () => {
    const { call } = await withAgents("alice")
    const a = (await call("POST", "/api/approvals", { agent: "alice", kind: "spawn", note: "please" })).body
    const b = (await call("POST", "/api/approvals", { agent: "alice", kind: "apply_commit", ref: "deadbeef" })).body
    expect((await call("GET", "/api/approvals?status=pending")).body.items.map((x: { id: string }) => x.id)).toEqual([a.id, b.id])
    expect((await call("POST", `/api/approvals/${a.id}/resolve`, { status: "approved", note: "go" })).body).toMatchObject({
      status: "approved",
      resolution_note: "go",
      resolved_at: expect.any(Number),
    })
    expect(await call("POST", `/api/approvals/${a.id}/resolve`, { status: "denied" })).toMatchObject({
      status: 409,
      body: { error: { message: `approval ${a.id} is already approved` } },
    })
    expect((await call("POST", `/api/approvals/${b.id}/resolve`, { status: "pending" })).status).toBe(400)
    expect((await call("POST", `/api/approvals/nope/resolve`, { status: "denied" })).status).toBe(404)
    expect((await call("GET", "/api/approvals?status=pending")).body.items.map((x: { id: string }) => x.id)).toEqual([b.id])
  })
})

describe("questions", () => {
  test("an operator question is answered from its options; multi takes a set", async () => {
    const { call } = await withAgents("alice")
    const single = (await call("POST", "/api/questions", { asker: "alice", question: "Deploy?", options: ["yes", "no"] })).body
    expect(single).toMatchObject({ target: null, status: "open", multi: false, options: ["yes", "no"] })
    expect((await call("POST", `/api/questions/${single.id}/answer`, { answer: "maybe" })).body.error.message).toBe(
      'field "answer": "maybe" is not one of the options (yes, no)',
    )
    expect((await call("POST", `/api/questions/${single.id}/answer`, { answer: ["yes"] })).status).toBe(400)
    expect((await call("POST", `/api/questions/${single.id}/answer`, { answer: "yes" })).body).toMatchObject({ status: "answered", answer: "yes" })
    expect((await call("POST", `/api/questions/${single.id}/answer`, { answer: "no" })).body.error.message).toBe(`question ${single.id} is already answered`)

    const multi = (await call("POST", "/api/questions", { asker: "alice", question: "Which?", options: ["a", "b", "c"], multi: true })).body
    expect((await call("POST", `/api/questions/${multi.id}/answer`, { answer: ["a", "a"] })).status).toBe(400)
    expect((await call("POST", `/api/questions/${multi.id}/answer`, { answer: [] })).status).toBe(400)
    expect((await call("POST", `/api/questions/${multi.id}/answer`, { answer: ["c", "a"] })).body.answer).toEqual(["c", "a"])
    const free = (await call("POST", "/api/questions", { asker: "alice", question: "Name it" })).body
    expect((await call("POST", `/api/questions/${free.id}/answer`, { answer: "anything" })).body.answer).toBe("anything")
  })

  test("a question past its deadline is timed_out: its own state, never an answer", async () => {
    const { call, db } = await withAgents("alice")
    const q = (await call("POST", "/api/questions", { asker: "alice", question: "Quick?", options: ["y"], ttl_ms: 1 })).body
    await Bun.sleep(5)
    expect((await call("GET", `/api/questions/${q.id}`)).body).toMatchObject({ status: "timed_out", answer: null, answered_at: null })
    const late = await call("POST", `/api/questions/${q.id}/answer`, { answer: "y" })
    expect(late.status).toBe(409)
    expect(late.body.error.message).toStartWith(`question ${q.id} timed out at `)
    expect(db.query("SELECT status FROM questions WHERE id = ?").get(q.id)).toEqual({ status: "timed_out" })
    expect((await call("GET", "/api/questions?status=timed_out")).body.items).toHaveLength(1)
  })

  test("a question to a peer agent lands in its inbox", async () => {
    const { call } = await withAgents("alice", "bob")
    const q = (await call("POST", "/api/questions", { asker: "alice", target: "bob", question: "Merge?", options: ["yes", "no"] })).body
    const inbox = (await call("GET", "/api/messages/inbox/bob")).body.items
    expect(inbox).toHaveLength(1)
    expect(JSON.parse(inbox[0].body)).toEqual({ type: "question", id: q.id, question: "Merge?", options: ["yes", "no"], multi: false, deadline_at: null })
    expect((await call("GET", "/api/questions?target=bob")).body.items.map((x: { id: string }) => x.id)).toEqual([q.id])
    expect((await call("GET", "/api/questions?target=operator")).body.items).toEqual([])
  })
})

describe("the command inbox", () => {
  test("the same id twice is one command; a different payload under it is a 409", async () => {
    const { call } = await testApp()
    const first = await call("POST", "/api/commands", { id: "cmd-1", target: "machine-a", payload: { run: "ls" } })
    expect(first.status).toBe(201)
    const again = await call("POST", "/api/commands", { id: "cmd-1", target: "machine-a", payload: { run: "ls" } })
    expect(again).toMatchObject({ status: 200, body: first.body })
    expect((await call("POST", "/api/commands", { id: "cmd-1", target: "machine-a", payload: { run: "rm" } })).status).toBe(409)
  })

  test("claims are oldest first and exclusive, even for many concurrent claimers; ack; an expired lease is redelivered", async () => {
    const { call } = await testApp()
    for (let i = 0; i < 20; i++) await call("POST", "/api/commands", { id: `c${String(i).padStart(2, "0")}`, target: "t", payload: i })
    const claims = await Promise.all(Array.from({ length: 30 }, () => call("POST", "/api/commands/claim", { target: "t", lease_ms: 60_000 })))
    const got = claims.filter((c) => c.status === 200).map((c) => c.body.id)
    expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, "0")}`))
    expect(claims.filter((c) => c.status === 204)).toHaveLength(10)

    await call("POST", "/api/commands", { id: "late", target: "u", payload: {} })
    const first = (await call("POST", "/api/commands/claim", { target: "u", lease_ms: 1 })).body
    expect(first).toMatchObject({ id: "late", attempts: 1 })
    await Bun.sleep(5)
    const redelivered = (await call("POST", "/api/commands/claim", { target: "u", lease_ms: 60_000 })).body
    expect(redelivered).toMatchObject({ id: "late", attempts: 2 })
    expect((await call("POST", "/api/commands/late/ack")).body.acked_at).toEqual(expect.any(Number))
    expect((await call("POST", "/api/commands/late/ack")).status).toBe(200)
    expect((await call("POST", "/api/commands/claim", { target: "u" })).status).toBe(204)

    await call("POST", "/api/commands", { id: "unclaimed", target: "v", payload: {} })
    expect((await call("POST", "/api/commands/unclaimed/ack")).body.error.message).toBe("command unclaimed has not been claimed")
    expect((await call("GET", "/api/commands?target=v")).body.items.map((c: { id: string }) => c.id)).toEqual(["unclaimed"])
  })
})

describe("broker changes on the event stream", () => {
  test("an approval and a question, asked and settled, are events with only their id and status", async () => {
    const { call } = await withAgents("alice")
    const approval = (await call("POST", "/api/approvals", { agent: "alice", kind: "deploy", ref: "secret-ref", note: "private note" })).body
    await call("POST", `/api/approvals/${approval.id}/resolve`, { status: "approved" })
    const question = (await call("POST", "/api/questions", { asker: "alice", question: "ship?", options: ["yes", "no"] })).body
    await call("POST", `/api/questions/${question.id}/answer`, { answer: "yes" })
    const events = (await call("GET", "/api/events?agent=alice&limit=50")).body.items.filter((e: { kind: string }) => /^(approval|question)\./.test(e.kind))
    expect(events.map((e: { kind: string; payload: unknown }) => [e.kind, e.payload])).toEqual([
      ["approval.requested", { id: approval.id, status: "pending" }],
      ["approval.resolved", { id: approval.id, status: "approved" }],
      ["question.asked", { id: question.id, status: "open" }],
      ["question.answered", { id: question.id, status: "answered" }],
    ])
    // What the approval is about stays behind its own route.
    expect(JSON.stringify(events)).not.toContain("secret-ref")
    expect(JSON.stringify(events)).not.toContain("private note")
  })
})
