import { afterAll, describe, expect, test } from "bun:test"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { cliEnv, MAIN, testApp } from "../helpers"

// The MCP SDK's own client against hive: over HTTP (a listening server's /mcp) and over stdio (a real
// `hive mcp` process, talking to that server). Every tool is a REST call with the agent's token.
const ctx = await testApp({ mcpProgressMs: 1000 })
for (const name of ["alice", "bob"]) ctx.stores.agents.create(name)
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (r) => ctx.app.handle(r) })
const url = `http://127.0.0.1:${server.port}`
const tokenOf = async (agent: string) => (await ctx.auth.issue(agent, 600_000, { scope: "agent", agent })).token
const clients: Client[] = []
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {})
  server.stop(true)
})

async function overHttp(token: string) {
  const client = new Client({ name: "hive-test", version: "1" })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
  clients.push(client)
  return client
}

async function overStdio(token: string) {
  const client = new Client({ name: "hive-test", version: "1" })
  const env = { ...cliEnv(), HIVE_TOKEN: token, HIVE_URL: url, HIVE_MCP_PROGRESS: "1s" } as Record<string, string>
  await client.connect(new StdioClientTransport({ command: "bun", args: [MAIN, "mcp"], env, stderr: "pipe" }))
  clients.push(client)
  return client
}

type Result = { isError?: boolean; content: { type: string; text: string }[] }
async function call(client: Client, name: string, args: Record<string, unknown> = {}, onprogress?: (p: { progress: number }) => void) {
  const r = (await client.callTool({ name, arguments: args }, undefined, { onprogress, timeout: 30_000 })) as Result
  const text = r.content[0]!.text
  return { isError: r.isError === true, text, value: r.isError ? undefined : JSON.parse(text) }
}

for (const [transport, connect] of [
  ["HTTP", overHttp],
  ["stdio", overStdio],
] as const)
  describe(`hive's MCP tools over ${transport}`, () => {
    test("lists every tool with a description and a schema", async () => {
      const alice = await connect(await tokenOf("alice"))
      const { tools } = await alice.listTools()
      expect(tools.map((t) => t.name).sort()).toEqual(
        [
          "ack_command",
          "ack_inbox",
          "answer_question",
          "ask_question",
          "claim_command",
          "list_agents",
          "post_event",
          "read_inbox",
          "record_turn",
          "request_approval",
          "search",
          "send_message",
        ].sort(),
      )
      for (const t of tools) {
        expect(t.description!.length).toBeGreaterThan(40)
        expect(t.inputSchema.type).toBe("object")
      }
    })

    test("two agents exchange messages", async () => {
      const [alice, bob] = [await connect(await tokenOf("alice")), await connect(await tokenOf("bob"))]
      expect((await call(alice, "send_message", { to: "bob", body: `hello over ${transport}` })).value).toMatchObject({ sender: "alice", recipient: "bob" })
      const inbox = (await call(bob, "read_inbox")).value
      const mine = inbox.messages.filter((m: { body: string }) => m.body === `hello over ${transport}`)
      expect(mine).toHaveLength(1)
      await call(bob, "ack_inbox", { up_to: inbox.messages.at(-1).id })
      expect((await call(bob, "read_inbox")).value.messages).toEqual([])
      expect((await call(bob, "list_agents")).value).toMatchObject({ you: "bob" })
    })

    test("one asks the other a question and blocks until the answer arrives", async () => {
      const [alice, bob] = [await connect(await tokenOf("alice")), await connect(await tokenOf("bob"))]
      const progress: number[] = []
      const asking = call(alice, "ask_question", { target: "bob", question: `which port (${transport})?`, options: ["7420", "7421"] }, (p) =>
        progress.push(p.progress),
      )
      // bob waits for the question in his inbox, answers after a little more than one progress step.
      const inbox = (await call(bob, "read_inbox", { wait_seconds: 10 })).value
      const question = inbox.messages.map((m: { body: string }) => JSON.parse(m.body)).find((b: { type: string }) => b.type === "question")
      expect(question).toMatchObject({ question: `which port (${transport})?`, options: ["7420", "7421"] })
      await Bun.sleep(1500)
      expect((await call(bob, "answer_question", { question_id: question.id, answer: "7421" })).value.status).toBe("answered")
      expect((await asking).value).toEqual({ status: "answered", question_id: question.id, answer: "7421" })
      expect(progress.length).toBeGreaterThan(0)
      await call(bob, "ack_inbox", { up_to: inbox.messages.at(-1).id })
    })

    test("an approval resolved through the phone API unblocks request_approval", async () => {
      const alice = await connect(await tokenOf("alice"))
      const { phoneCall } = await ctx.pairPhone()
      const requesting = call(alice, "request_approval", { kind: "deploy", ref: transport, note: "ship the fix" })
      const pending = await (async () => {
        for (let i = 0; i < 100; i++) {
          const found = ctx.stores.broker.approvals({ status: "pending", agent: "alice" }).items.find((a) => a.ref === transport)
          if (found) return found
          await Bun.sleep(20)
        }
        throw new Error("the approval was never requested")
      })()
      const res = await phoneCall("POST", `/phone/api/approvals/${pending.id}`, { status: "approved", note: "go" })
      expect(res.status).toBe(200)
      expect((await requesting).value).toEqual({ status: "approved", approval_id: pending.id, note: "go" })
    })

    test("a question past its deadline returns timed_out", async () => {
      const alice = await connect(await tokenOf("alice"))
      const started = performance.now()
      expect((await call(alice, "ask_question", { question: "anyone there?", timeout_seconds: 1 })).value).toMatchObject({ status: "timed_out" })
      expect(performance.now() - started).toBeLessThan(5000)
    })

    test("an agent cannot act as another: a bad call is a tool error with the REST message, and the server goes on", async () => {
      const [alice, bob] = [await connect(await tokenOf("alice")), await connect(await tokenOf("bob"))]
      const q = ctx.stores.broker.ask({ asker: "bob", target: "operator", question: "for the operator", options: [], multi: false, deadlineAt: null })
      const refused = await call(alice, "answer_question", { question_id: q.id, answer: "me!" })
      expect(refused).toMatchObject({ isError: true, text: `question ${q.id} is not agent alice's` })
      expect(await call(alice, "send_message", { to: "nobody", body: "x" })).toMatchObject({ isError: true, text: "agent nobody not found" })
      // Arguments the schema refuses are an error too, never a crash.
      expect((await call(alice, "send_message", { to: 42 })).isError).toBe(true)
      expect((await call(bob, "claim_command")).value).toEqual({ command: null })
      expect((await call(alice, "list_agents")).value.you).toBe("alice")
    })
  })

describe("the /mcp endpoint", () => {
  test("is for agent tokens only", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" }
    const admin = await fetch(`${url}/mcp`, { method: "POST", headers: { ...headers, authorization: `Bearer ${ctx.token}` }, body })
    expect(admin.status).toBe(403)
    expect(((await admin.json()) as { error: { message: string } }).error.message).toContain("hive token create --agent NAME")
    expect((await fetch(`${url}/mcp`, { method: "POST", headers, body })).status).toBe(401)
  })
})
