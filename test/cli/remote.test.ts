import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { cliEnv, hive, MAIN } from "../helpers"
import { type Document, misfit } from "../routes/fuzz-harness"
import { startServer } from "./serve-helper"

// `hive sessions|agents|approvals|questions|events` against a real `hive serve`: what they print for a person,
// what --json prints for a script (held to the response schema the server's own OpenAPI document gives), and
// that a change made from the CLI is a change the API sees.

let server: Awaited<ReturnType<typeof startServer>>
let env: Record<string, string>
let doc: Document
let admin: string

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(res.status).toBeLessThan(300)
  return res.json() as Promise<Record<string, unknown>>
}

/** The --json output of `args`, checked against the documented 200 answer of `route`. */
async function documented(route: string, args: string[], extraEnv: Record<string, string> = {}) {
  const res = await hive(args, { ...env, HIVE_TOKEN: admin, ...extraEnv })
  expect(res.stderr).toBe("")
  expect(res.code).toBe(0)
  const value = JSON.parse(res.stdout)
  const [method, path] = route.split(" ") as [string, string]
  const schema = doc.paths[path]?.[method.toLowerCase()]?.responses?.["200"]?.content?.["application/json"]?.schema
  expect(schema).toBeDefined()
  expect(misfit(value, schema!, doc)).toBeUndefined()
  return value
}

beforeAll(async () => {
  env = cliEnv()
  server = await startServer(["bun", MAIN], env)
  const made = await hive(["token", "create", "--name", "cli-test"], env)
  admin = made.stdout.trim()
  doc = (await (await fetch(`${server.url}/openapi`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Document
  for (const name of ["alice", "bob"]) await api("POST", "/api/agents", { name })
})

afterAll(() => server?.proc.kill())

describe("the CLI of a running server", () => {
  test("hive sessions lists newest first, and --json is the documented page", async () => {
    for (const name of ["older", "newer"]) await api("POST", "/api/sessions", { name, cwd: `/work/${name}` })
    const table = await hive(["sessions"], { ...env, HIVE_TOKEN: admin })
    expect(table.code).toBe(0)
    const lines = table.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^ID +STATUS +STATE +UPDATED +NAME +CWD$/)
    expect(lines[1]).toContain("newer")
    expect(lines[2]).toContain("older")
    const page = await documented("GET /api/sessions", ["sessions", "--json", "--limit", "1"])
    expect(page.items.map((s: { name: string }) => s.name)).toEqual(["newer"])
    expect(page.next_cursor).toBeString()
    const next = await documented("GET /api/sessions", ["sessions", "--json", "--limit", "1", "--cursor", page.next_cursor])
    expect(next.items.map((s: { name: string }) => s.name)).toEqual(["older"])
  })

  test("hive approvals lists the pending ones; approve and deny resolve them as the API sees it", async () => {
    const deploy = await api("POST", "/api/approvals", { agent: "alice", kind: "deploy", ref: "prod" })
    const drop = await api("POST", "/api/approvals", { agent: "bob", kind: "drop-table", ref: "users" })
    const listed = await documented("GET /api/approvals", ["approvals", "--json"])
    expect(listed.items.map((a: { id: string }) => a.id)).toEqual([deploy.id, drop.id])
    const approved = await documented("POST /api/approvals/{id}/resolve", ["approvals", "approve", String(deploy.id), "--json"])
    expect(approved).toMatchObject({ id: deploy.id, status: "approved" })
    const denied = await hive(["approvals", "deny", String(drop.id), "--note", "not on a Friday"], { ...env, HIVE_TOKEN: admin })
    expect(denied).toMatchObject({ code: 0, stdout: `denied ${drop.id}: bob drop-table users\n` })
    expect(await api("GET", `/api/approvals/${drop.id}`)).toMatchObject({ status: "denied", resolution_note: "not on a Friday" })
    expect((await hive(["approvals"], { ...env, HIVE_TOKEN: admin })).stdout).toBe("no pending approvals\n")
    const again = await hive(["approvals", "approve", String(drop.id)], { ...env, HIVE_TOKEN: admin })
    expect(again.code).toBe(1)
    expect(again.stderr).toStartWith("hive: hive approvals approve: ")
    expect(again.stderr.trim().split("\n")).toHaveLength(1)
  })

  test("hive questions answer takes one answer, or several words for a multiple choice, checked by the server", async () => {
    const one = await api("POST", "/api/questions", { asker: "alice", question: "Which branch?", options: ["main", "release 2"] })
    const multi = await api("POST", "/api/questions", { asker: "alice", question: "Which checks?", options: ["lint", "test", "e2e"], multi: true })
    await documented("GET /api/questions", ["questions", "--json"])
    const wrong = await hive(["questions", "answer", String(one.id), "nightly"], { ...env, HIVE_TOKEN: admin })
    expect(wrong.code).toBe(1)
    expect(await documented("POST /api/questions/{id}/answer", ["questions", "answer", String(one.id), "release", "2", "--json"])).toMatchObject({
      answer: "release 2",
    })
    const res = await hive(["questions", "answer", String(multi.id), "lint", "e2e"], { ...env, HIVE_TOKEN: admin })
    expect(res).toMatchObject({ code: 0, stdout: `answered ${multi.id}: lint, e2e\n` })
  })

  test("hive agents and hive events --json are the documented pages; a read token lists but cannot approve", async () => {
    await api("POST", "/api/agents", { name: "carol" })
    const agents = await documented("GET /api/agents", ["agents", "--json"])
    expect(agents.items.map((a: { name: string }) => a.name)).toContain("carol")
    await api("POST", "/api/events", { kind: "cli.test", agent: "carol", payload: { n: 1 } })
    const events = await documented("GET /api/events", ["events", "--json", "--kind", "cli.test"])
    expect(events.items).toHaveLength(1)
    const reader = (await hive(["token", "create", "--name", "reader", "--scope", "read"], env)).stdout.trim()
    await documented("GET /api/sessions", ["sessions", "--json"], { HIVE_TOKEN: reader })
    const pending = await api("POST", "/api/approvals", { agent: "carol", kind: "merge" })
    const refused = await hive(["approvals", "approve", String(pending.id)], { ...env, HIVE_TOKEN: reader })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("HIVE_TOKEN may not do this")
  })

  test("hive events --follow prints each new event live, one JSON line each, and resumes after --cursor", async () => {
    const before = await api("POST", "/api/events", { kind: "follow.test", payload: { n: 0 } })
    const proc = Bun.spawn(["bun", MAIN, "events", "--follow", "--json", "--kind", "follow.test", "--cursor", String(before.id)], {
      env: { ...process.env, ...env, HIVE_TOKEN: admin },
      stdout: "pipe",
      stderr: "pipe",
    })
    try {
      const lines: Record<string, unknown>[] = []
      const reader = proc.stdout.getReader()
      const decoder = new TextDecoder()
      let buffer = ""
      const posted = (async () => {
        await Bun.sleep(300)
        for (const n of [1, 2]) await api("POST", "/api/events", { kind: "follow.test", payload: { n } })
        await api("POST", "/api/events", { kind: "other.kind" })
      })()
      const deadline = Date.now() + 10_000
      while (lines.length < 2 && Date.now() < deadline) {
        const { value, done } = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => ({ value: undefined, done: true }))])
        if (done) break
        buffer += decoder.decode(value)
        for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
          lines.push(JSON.parse(buffer.slice(0, end)))
          buffer = buffer.slice(end + 1)
        }
      }
      await posted
      expect(lines.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2])
      // Each line is an event as the list documents it (the stream's frames carry the same rows).
      const page = doc.paths["/api/events"]?.get?.responses?.["200"]?.content?.["application/json"]?.schema
      expect(page).toBeDefined()
      for (const line of lines) expect(misfit({ items: [line], next_cursor: null }, page!, doc)).toBeUndefined()
    } finally {
      proc.kill()
      await proc.exited
    }
  })

  test("without HIVE_TOKEN, or with no server, each says what to do and exits non-zero", async () => {
    const noToken = await hive(["sessions"], { ...env, HIVE_TOKEN: "" })
    expect(noToken.code).toBe(2)
    expect(noToken.stderr).toContain("set HIVE_TOKEN")
    const noServer = await hive(["approvals"], { ...cliEnv(), HIVE_TOKEN: admin })
    expect(noServer.code).toBe(1)
    expect(noServer.stderr).toContain("no hive server is running")
    const refused = await hive(["agents"], { ...env, HIVE_TOKEN: "not-a-token" })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("refused HIVE_TOKEN")
  })
})
