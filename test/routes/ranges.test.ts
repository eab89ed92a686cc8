import { describe, expect, test } from "bun:test"
import { testApp } from "../helpers"

// Issue 15, finding 7: inputs that reached a 500. Every whole number has a range; a limit outside its range
// is a clear 400 (a limit above the page cap, up to 2^53 - 1, is lowered to it, as documented).

const LISTS = [
  "/api/projects",
  "/api/sessions",
  "/api/worktrees",
  "/api/secrets",
  "/api/audit",
  "/api/approvals",
  "/api/questions",
  "/api/events",
  "/api/sdk-sessions",
  "/api/search?q=x",
]
const join = (path: string, q: string) => `${path}${path.includes("?") ? "&" : "?"}${q}`

describe("ranges", () => {
  test("a limit of 0, -0, -5, past 2^63 or 1e308 is a 400 on every list; a large one is lowered to the cap", async () => {
    const { call } = await testApp()
    for (const path of LISTS) {
      for (const limit of ["0", "-0", "-5", "-9223372036854775809", "9223372036854775808", "1e308", "1.5", "abc"]) {
        const res = await call("GET", join(path, `limit=${limit}`))
        expect(res.status, `${path} limit=${limit}`).toBe(400)
        expect(res.body.error.message, `${path} limit=${limit}`).toContain('"limit"')
      }
      expect((await call("GET", join(path, "limit=100000"))).status, path).toBe(200)
    }
  })

  test("whole numbers past 2^53 - 1 or 1e308 are a 400 naming the field, never a 500 or a rounded value", async () => {
    const { call, stores } = await testApp()
    stores.agents.create("alice")
    const session = (await call("POST", "/api/sessions", { name: "s" })).body.id
    const cases: [string, string, Record<string, unknown>, string][] = [
      ["POST", "/api/sessions", { name: "x" }, "pid"],
      ["POST", "/api/sessions", { name: "x" }, "ppid"],
      ["POST", "/api/sessions", { name: "x" }, "start_time"],
      ["POST", "/api/sessions", { name: "x" }, "expires_at"],
      ["PATCH", `/api/sessions/${session}`, {}, "expires_at"],
      ["POST", "/api/events", { kind: "k" }, "ts"],
      ["POST", "/api/questions", { asker: "alice", question: "q?" }, "deadline_at"],
      ["POST", "/api/questions", { asker: "alice", question: "q?" }, "ttl_ms"],
      ["PUT", "/api/oauth/gitlab", { access_token: "a" }, "expires_at"],
      ["POST", "/api/stats/turns", { agent: "alice", started_at: 1, ended_at: 2 }, "input_tokens"],
      ["POST", "/api/stats/turns", { agent: "alice", started_at: 1, ended_at: 2 }, "duration_ms"],
    ]
    for (const [method, path, base, field] of cases)
      for (const raw of ["9223372036854775808", "1e308", "9007199254740993", "-1e308"]) {
        const body = `${JSON.stringify(base).slice(0, -1)}${Object.keys(base).length ? "," : ""}"${field}":${raw}}`
        const res = await call(method, path, body)
        expect(res.status, `${method} ${path} ${field}=${raw}`).toBe(400)
        expect(res.body.error.message, `${method} ${path} ${field}=${raw}`).toContain(field)
      }
    // A batch event's ts too, which goes another way (the ingest path).
    const before = stores.events.newest()
    const batch = await call("POST", "/api/events/batch", '{"events":[{"kind":"k","ts":1e308}]}')
    expect(batch.status).toBe(400)
    expect(stores.events.newest()).toBe(before)
  })
})
