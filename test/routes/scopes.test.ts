import { describe, expect, test } from "bun:test"
import type { Grant } from "../../src/auth/jwt"
import { testApp } from "../helpers"

async function withToken(grant: Grant) {
  const ctx = await testApp()
  for (const name of ["alice", "bob"]) ctx.stores.agents.create(name)
  const { token } = await ctx.auth.issue("scoped", 3600_000, grant)
  const as = { authorization: `Bearer ${token}` }
  return { ...ctx, as, callAs: (method: string, path: string, body?: unknown) => ctx.call(method, path, body, as) }
}

describe("scoped tokens", () => {
  test("an agent token reaches the broker but not secrets, and says so", async () => {
    const { callAs } = await withToken({ scope: "agent", agent: "alice" })
    expect((await callAs("GET", "/api/agents")).status).toBe(200)
    const secrets = await callAs("GET", "/api/secrets")
    expect(secrets.status).toBe(403)
    expect(secrets.body.error.message).toBe("a token of scope agent cannot call GET /api/secrets (see `hive token --help`)")
    expect((await callAs("GET", "/api/secrets/x/value")).status).toBe(403)
    expect((await callAs("POST", "/api/agents", { name: "mallory" })).status).toBe(403)
  })

  test("a read token reads but changes nothing; a hooks token only reports hooks", async () => {
    const read = await withToken({ scope: "read" })
    expect((await read.callAs("GET", "/api/sessions")).status).toBe(200)
    expect((await read.callAs("POST", "/api/projects", { name: "p", directory: "/p" })).status).toBe(403)
    expect((await read.callAs("GET", "/api/oauth")).status).toBe(403)
    const hooks = await withToken({ scope: "hooks" })
    expect((await hooks.callAs("GET", "/api/sessions")).status).toBe(403)
    expect(
      (
        await hooks.callAs("POST", "/api/hooks/claude", {
          input: { session_id: "s1", hook_event_name: "SessionStart", cwd: "/tmp" },
          caller: { pid: 4242, ppid: null, start_time: null, tty: null },
          transport: { kind: "unknown", details: {} },
        })
      ).status,
    ).toBeLessThan(300)
  })

  test("an agent token's writes are its own: the sender comes from the token, another name is a 403", async () => {
    const { callAs, call } = await withToken({ scope: "agent", agent: "alice" })
    const sent = await callAs("POST", "/api/messages", { to: "bob", body: "hi" })
    expect(sent.status).toBe(201)
    expect(sent.body.sender).toBe("alice")
    const forged = await callAs("POST", "/api/messages", { from: "bob", to: "alice", body: "i am bob" })
    expect(forged.status).toBe(403)
    expect(forged.body.error.message).toBe("this token speaks for agent alice: it cannot act as bob")
    // An admin token still names the sender, and must.
    expect((await call("POST", "/api/messages", { to: "bob", body: "?" })).status).toBe(400)
    expect((await callAs("GET", "/api/messages/inbox/bob")).status).toBe(403)
    expect((await callAs("GET", "/api/messages/inbox/alice")).status).toBe(200)
  })

  test("a destroyed agent's tokens are refused", async () => {
    const { callAs, stores } = await withToken({ scope: "agent", agent: "alice" })
    stores.agents.destroy("alice")
    const res = await callAs("GET", "/api/agents")
    expect(res.status).toBe(403)
    expect(res.body.error.message).toBe("agent alice is destroyed: its tokens are refused")
  })

  test("questions, approvals and commands: an agent asks, answers and claims only as itself", async () => {
    const { callAs, call } = await withToken({ scope: "agent", agent: "alice" })
    const asked = await callAs("POST", "/api/questions", { target: "bob", question: "ready?" })
    expect(asked.body.asker).toBe("alice")
    // Addressed to bob: alice can read it (she asked) but not answer it.
    expect((await callAs("GET", `/api/questions/${asked.body.id}`)).status).toBe(200)
    expect((await callAs("POST", `/api/questions/${asked.body.id}/answer`, { answer: "yes" })).status).toBe(403)
    const toAlice = await call("POST", "/api/questions", { asker: "bob", target: "alice", question: "lunch?" })
    expect((await callAs("POST", `/api/questions/${toAlice.body.id}/answer`, { answer: "sure" })).body.status).toBe("answered")
    const other = await call("POST", "/api/questions", { asker: "bob", question: "operator?" })
    expect((await callAs("GET", `/api/questions/${other.body.id}`)).status).toBe(403)

    const approval = await callAs("POST", "/api/approvals", { kind: "deploy" })
    expect(approval.body.agent).toBe("alice")
    expect((await callAs("POST", `/api/approvals/${approval.body.id}/resolve`, { status: "approved" })).status).toBe(403)
    expect((await callAs("GET", "/api/approvals?agent=bob")).status).toBe(403)
    expect((await callAs("GET", "/api/approvals")).body.items.map((a: { agent: string }) => a.agent)).toEqual(["alice"])

    await call("POST", "/api/commands", { id: "for-bob", target: "bob", payload: 1 })
    await call("POST", "/api/commands", { id: "for-alice", target: "alice", payload: 2 })
    expect((await callAs("POST", "/api/commands/claim", { target: "bob" })).status).toBe(403)
    expect((await callAs("POST", "/api/commands/claim", {})).body.id).toBe("for-alice")
    expect((await callAs("POST", "/api/commands/for-bob/ack")).status).toBe(403)
    expect((await callAs("GET", "/api/commands/for-bob")).status).toBe(403)
  })

  test("an agent's events carry its name; its search finds only its own rows", async () => {
    const { callAs, call } = await withToken({ scope: "agent", agent: "alice" })
    expect((await callAs("POST", "/api/events", { kind: "note", payload: { text: "zebra mine" } })).body.agent).toBe("alice")
    expect((await callAs("POST", "/api/events", { kind: "note", agent: "bob" })).status).toBe(403)
    const batch = await callAs("POST", "/api/events/batch", { events: [{ kind: "note", agent: "bob" }] })
    expect(batch.status).toBe(403)
    await call("POST", "/api/events", { kind: "note", agent: "bob", payload: { text: "zebra theirs" } })
    await call("POST", "/api/messages", { from: "bob", to: "operator", body: "zebra gossip" })
    await callAs("POST", "/api/messages", { to: "bob", body: "zebra hello" })
    const mine = (await callAs("GET", "/api/search?q=zebra")).body.items.map((h: { snippet: string }) => h.snippet).sort()
    expect(mine).toEqual(["[zebra] hello", "note [zebra] mine"])
    expect((await call("GET", "/api/search?q=zebra")).body.items).toHaveLength(4)
  })
})
