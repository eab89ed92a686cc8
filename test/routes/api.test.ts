import { describe, expect, test } from "bun:test"
import { migrations } from "../../migrations"
import { testApp } from "../helpers"

const ctx = await testApp()
const { call } = ctx

describe("projects", () => {
  test("create, get, list, patch and delete a project", async () => {
    const created = await call("POST", "/api/projects", { name: "hive", directory: "/src/hive", settings: { model: "opus" } })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      id: expect.any(String),
      name: "hive",
      directory: "/src/hive",
      settings: { model: "opus" },
      created_at: expect.any(Number),
      updated_at: created.body.created_at,
    })
    const id = created.body.id
    expect((await call("GET", `/api/projects/${id}`)).body).toEqual(created.body)

    const patched = await call("PATCH", `/api/projects/${id}`, { name: "hive 2" })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ id, name: "hive 2", directory: "/src/hive", settings: { model: "opus" } })

    expect((await call("DELETE", `/api/projects/${id}`)).status).toBe(204)
    expect(await call("GET", `/api/projects/${id}`)).toMatchObject({
      status: 404,
      body: { error: { code: "not_found", message: `project ${id} not found` } },
    })
  })

  test("a second project for the same directory is a 409 that names the directory", async () => {
    await call("POST", "/api/projects", { name: "a", directory: "/dup" })
    expect(await call("POST", "/api/projects", { name: "b", directory: "/dup" })).toMatchObject({
      status: 409,
      body: { error: { code: "conflict", message: "a project for directory /dup already exists" } },
    })
  })

  test("list pages with limit and next_cursor, in creation order, without gaps or repeats", async () => {
    const { call } = await testApp()
    const ids: string[] = []
    for (let i = 0; i < 7; i++) ids.push((await call("POST", "/api/projects", { name: `p${i}`, directory: `/p/${i}` })).body.id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { body: { items: { id: string }[]; next_cursor: string | null } } = await call(
        "GET",
        `/api/projects?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      )
      expect(page.body.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.body.items.map((p) => p.id))
      cursor = page.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(ids)
  })

  test("a limit above the cap is lowered to it; zero, negative and non-numeric limits are 400s", async () => {
    expect((await call("GET", "/api/projects?limit=100000")).status).toBe(200)
    for (const bad of ["0", "-1", "abc", "1.5"]) {
      const res = await call("GET", `/api/projects?limit=${bad}`)
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe("bad_request")
      expect(res.body.error.message).toStartWith('query field "limit"')
    }
  })

  test("bad bodies are 400s naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ directory: "/x" }, 'field "name"'],
      [{ name: "", directory: "/x" }, 'field "name"'],
      [{ name: 5, directory: "/x" }, 'field "name"'],
      [{ name: "x", directory: "/x", settings: [] }, 'field "settings"'],
      [{ name: "x", directory: "/x", colour: "red" }, 'field "colour"'],
      [[1, 2], "body"],
    ]
    for (const [body, field] of cases) {
      const res = await call("POST", "/api/projects", body)
      expect(res.status).toBe(400)
      expect(res.body.error.message).toContain(field)
    }
  })

  test("malformed JSON is a 400, not a 500", async () => {
    const res = await call("POST", "/api/projects", "{not json")
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe("bad_request")
  })
})

describe("sessions", () => {
  test("create with registry fields, filter by project, status, ppid and notify, patch partially", async () => {
    const { call } = await testApp()
    const project = (await call("POST", "/api/projects", { name: "p", directory: "/p" })).body
    const registry = {
      project_id: project.id,
      agent_session_id: "c0ffee00-0000-4000-8000-000000000001",
      pid: 4242,
      ppid: 4200,
      start_time: 1770600000,
      cwd: "/p",
      label: "p ✨",
      notify: true,
      transport_kind: "tmux",
      transport_details: { tmux_session: "main", tmux_pane: "%5" },
      expires_at: 1_900_000_000_000,
    }
    const a = await call("POST", "/api/sessions", registry)
    expect(a.status).toBe(201)
    expect(a.body).toMatchObject({ ...registry, status: "idle", state: "active", name: "", metadata: {} })
    const b = (await call("POST", "/api/sessions", { project_id: project.id, ppid: 9, status: "running" })).body
    const loose = (await call("POST", "/api/sessions", { name: "no project" })).body
    expect(loose.project_id).toBeNull()

    const ids = async (q: string) => (await call("GET", `/api/sessions?${q}`)).body.items.map((s: { id: string }) => s.id)
    expect(await ids(`project_id=${project.id}`)).toEqual([a.body.id, b.id])
    expect(await ids("status=running")).toEqual([b.id])
    expect(await ids("ppid=4200")).toEqual([a.body.id])
    expect(await ids("notify=true")).toEqual([a.body.id])
    expect(await ids("notify=false")).toEqual([b.id, loose.id])
    expect(await ids(`agent_session_id=${registry.agent_session_id}`)).toEqual([a.body.id])

    const patched = await call("PATCH", `/api/sessions/${a.body.id}`, { status: "awaiting_input", state: "idle" })
    expect(patched.body).toMatchObject({ status: "awaiting_input", state: "idle", pid: 4242, label: "p ✨" })
    expect(patched.body.updated_at).toBeGreaterThanOrEqual(a.body.updated_at)
  })

  test("a session for an unknown project is a 404 naming the project; registering a known agent session id updates it", async () => {
    expect(await call("POST", "/api/sessions", { project_id: "nope" })).toMatchObject({
      status: 404,
      body: { error: { code: "not_found", message: "project nope not found" } },
    })
    const first = await call("POST", "/api/sessions", { agent_session_id: "dup", name: "first", pid: 10 })
    expect(first.status).toBe(201)
    const again = await call("POST", "/api/sessions", { agent_session_id: "dup", pid: 11, label: "again" })
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id, name: "first", pid: 11, label: "again" } })
    // Changing a session's agent_session_id to one another session has is still a conflict.
    const other = await call("POST", "/api/sessions", { agent_session_id: "other" })
    expect(await call("PATCH", `/api/sessions/${other.body.id}`, { agent_session_id: "dup" })).toMatchObject({
      status: 409,
      body: { error: { message: "a session for agent session dup already exists" } },
    })
  })

  test("the notify list holds active sessions only", async () => {
    const { call, stores } = await testApp()
    const live = await call("POST", "/api/sessions", { notify: true, pid: 1 })
    const gone = await call("POST", "/api/sessions", { notify: true, pid: 2 })
    stores.sessions.markDead(gone.body.id)
    const ids = async (q: string) => (await call("GET", `/api/sessions?${q}`)).body.items.map((s: { id: string }) => s.id)
    expect(await ids("notify=true")).toEqual([live.body.id])
    expect(await ids("notify=true&state=dead")).toEqual([gone.body.id])
  })

  test("enum and type violations are 400s naming the field", async () => {
    for (const [body, field] of [
      [{ status: "sleeping" }, "status"],
      [{ transport_kind: "carrier-pigeon" }, "transport_kind"],
      [{ pid: -1 }, "pid"],
      [{ notify: "yes" }, "notify"],
      [{ metadata: "x" }, "metadata"],
    ] as const) {
      const res = await call("POST", "/api/sessions", body)
      expect(res.status).toBe(400)
      expect(res.body.error.message).toContain(`"${field}"`)
    }
    expect((await call("GET", "/api/sessions?status=sleeping")).status).toBe(400)
  })

  test("deleting a project deletes its sessions and worktrees", async () => {
    const { call } = await testApp()
    const project = (await call("POST", "/api/projects", { name: "p", directory: "/p" })).body
    const session = (await call("POST", "/api/sessions", { project_id: project.id })).body
    const tree = (await call("POST", "/api/worktrees", { project_id: project.id, path: "/p/wt", branch: "main" })).body
    expect((await call("DELETE", `/api/projects/${project.id}`)).status).toBe(204)
    expect((await call("GET", `/api/sessions/${session.id}`)).status).toBe(404)
    expect((await call("GET", `/api/worktrees/${tree.id}`)).status).toBe(404)
  })
})

describe("worktrees", () => {
  test("create, list by project, patch, delete; unique path; unknown project", async () => {
    const { call } = await testApp()
    const p = (await call("POST", "/api/projects", { name: "p", directory: "/p" })).body
    const q = (await call("POST", "/api/projects", { name: "q", directory: "/q" })).body
    const wt = await call("POST", "/api/worktrees", { project_id: p.id, path: "/p/.wt/a", branch: "feat/a", description: "try" })
    expect(wt.status).toBe(201)
    await call("POST", "/api/worktrees", { project_id: q.id, path: "/q/.wt/b", branch: "b" })
    expect((await call("GET", `/api/worktrees?project_id=${p.id}`)).body.items.map((w: { path: string }) => w.path)).toEqual(["/p/.wt/a"])
    expect((await call("PATCH", `/api/worktrees/${wt.body.id}`, { branch: "feat/a2", description: null })).body).toMatchObject({
      branch: "feat/a2",
      description: null,
      path: "/p/.wt/a",
    })
    expect((await call("POST", "/api/worktrees", { project_id: p.id, path: "/p/.wt/a", branch: "x" })).status).toBe(409)
    expect((await call("POST", "/api/worktrees", { project_id: "ghost", path: "/z", branch: "x" })).status).toBe(404)
    expect((await call("PATCH", `/api/worktrees/${wt.body.id}`, { project_id: q.id })).status).toBe(400)
    expect((await call("DELETE", `/api/worktrees/${wt.body.id}`)).status).toBe(204)
    expect((await call("DELETE", `/api/worktrees/${wt.body.id}`)).status).toBe(404)
  })
})

describe("preferences", () => {
  test("put, get one, get all, overwrite, delete; a key nobody set answers its default", async () => {
    const { call } = await testApp()
    const defaults = {
      theme: "system",
      defaultModel: "claude-sonnet-4-5",
      defaultActionType: "freeform",
      recentDirectories: [],
      "tunnel.enabled": false,
      "notifications.inputRequired": true,
      "notifications.sessionComplete": true,
      "notifications.approvalRequested": true,
      "notifications.questionAsked": true,
      "permissions.policy": "remote",
      "permissions.allow": [],
      "permissions.ask": [],
      "permissions.deadlineSeconds": 600,
      "permissions.remoteAfterSeconds": 60,
    }
    expect((await call("GET", "/api/preferences")).body).toEqual(defaults)
    expect((await call("GET", "/api/preferences/theme")).body).toEqual({ key: "theme", value: "system", updated_at: null, default: true })
    expect((await call("PUT", "/api/preferences/theme", { value: "dark" })).body).toMatchObject({ key: "theme", value: "dark", default: false })
    await call("PUT", "/api/preferences/tunnel.enabled", { value: true })
    // The older app's object (imported as it was) is what its keys hold, where no key of their own is stored.
    await call("PUT", "/api/preferences/notifications", { value: { inputRequired: true, sessionComplete: false } })
    await call("PUT", "/api/preferences/theme", { value: "light" })
    expect((await call("GET", "/api/preferences")).body).toEqual({
      ...defaults,
      notifications: { inputRequired: true, sessionComplete: false },
      "notifications.sessionComplete": false,
      theme: "light",
      "tunnel.enabled": true,
    })
    expect((await call("GET", "/api/preferences/notifications.sessionComplete")).body).toMatchObject({ value: false, default: false })
    expect((await call("GET", "/api/preferences/theme")).body).toMatchObject({ key: "theme", value: "light", updated_at: expect.any(Number), default: false })
    expect((await call("DELETE", "/api/preferences/theme")).status).toBe(204)
    expect((await call("GET", "/api/preferences/theme")).body).toMatchObject({ value: "system", default: true })
    expect((await call("DELETE", "/api/preferences/theme")).status).toBe(404)
    expect((await call("GET", "/api/preferences/nobody.set.this")).status).toBe(404)
  })

  test("seed 000's preferences are checked: a wrong theme, action type or directory list is a 400", async () => {
    const { call } = await testApp()
    for (const [key, value] of [
      ["theme", "sepia"],
      ["defaultActionType", "deploy"],
      ["recentDirectories", "/not/a/list"],
      ["recentDirectories", [""]],
      ["defaultModel", ""],
      ["tunnel.enabled", "yes"],
    ] as const) {
      const res = await call("PUT", `/api/preferences/${key}`, { value })
      expect(res.status).toBe(400)
      expect(res.body.error.message).toContain(key)
    }
    expect((await call("PUT", "/api/preferences/recentDirectories", { value: ["/work/a", "/work/b"] })).status).toBe(200)
  })

  test("a null value is stored; a missing value or a bad key is a 400", async () => {
    expect((await call("PUT", "/api/preferences/nothing", { value: null })).body.value).toBeNull()
    expect((await call("PUT", "/api/preferences/k", {})).body.error.message).toContain('"value"')
    expect((await call("PUT", "/api/preferences/bad%20key", { value: 1 })).status).toBe(400)
  })
})

describe("errors and limits", () => {
  test("an unknown route is a JSON 404", async () => {
    for (const path of ["/nope", "/api/nope"]) {
      const res = await call("GET", path)
      expect(res.status).toBe(404)
      expect(res.headers.get("content-type")).toContain("application/json")
      expect(res.body).toEqual({ error: { code: "not_found", message: `no route GET ${path}` } })
    }
  })

  test("a body over the limit is a 413 before it is read", async () => {
    const small = await testApp({ maxBodyBytes: 100 })
    const res = await small.call("POST", "/api/projects", { name: "x".repeat(200), directory: "/x" })
    expect(res).toMatchObject({ status: 413, body: { error: { code: "payload_too_large", message: "request body exceeds the limit of 100 bytes" } } })
  })

  test("a request addressed to a foreign host name is refused (DNS rebinding)", async () => {
    const res = await ctx.app.handle(new Request("http://evil.example:7420/health"))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ error: { code: "forbidden_host", message: "this server only answers requests addressed to its own host name" } })
    expect((await ctx.app.handle(new Request("http://127.0.0.1:7420/health"))).status).toBe(200)
  })

  test("/health needs no token and reports version, schema version and database status", async () => {
    const res = await call("GET", "/health", undefined, {})
    expect(res).toMatchObject({ status: 200, body: { status: "ok", version: "test", schema_version: migrations.length, database: "ok" } })
  })

  test("/openapi describes every API route from the same schemas that validate", async () => {
    const res = await call("GET", "/openapi", undefined, {})
    expect(res.status).toBe(200)
    const paths = Object.keys(res.body.paths)
    for (const p of ["/api/projects", "/api/projects/{id}", "/api/sessions", "/api/sessions/{id}", "/api/worktrees", "/api/preferences/{key}", "/health"])
      expect(paths).toContain(p)
    expect(paths.filter((p) => p.length > 1 && p.endsWith("/"))).toEqual([]) // "/" is the desk
    expect(JSON.stringify(res.body.paths["/api/projects"].post)).toContain("directory")
  })
})

describe("the Host check", () => {
  test("reads the Host header a real client sends: loopback names with any port pass, others are refused", async () => {
    const at = (host: string) => ctx.app.handle(new Request("http://127.0.0.1/health", { headers: { host } }))
    for (const host of ["localhost:7420", "127.0.0.1", "[::1]:7420", "LOCALHOST"]) expect((await at(host)).status).toBe(200)
    for (const host of ["evil.example", "evil.example:7420", "127.0.0.1.evil.example", "[::2]:7420"]) expect((await at(host)).status).toBe(403)
  })
})

describe("lists", () => {
  test("the id-keyed lists sort newest first on asking, page the same way both ways, and count what the filters match", async () => {
    const { call } = await testApp()
    const project = (await call("POST", "/api/projects", { name: "p", directory: "/lists" })).body
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await call("POST", "/api/sessions", { project_id: project.id, name: `s${i}` })).body.id)
    await call("POST", "/api/sessions", { name: "elsewhere" })
    const newest = await call("GET", `/api/sessions?project_id=${project.id}&order=desc&limit=2&count=true`)
    expect(newest.body.items.map((s: { id: string }) => s.id)).toEqual([ids[4], ids[3]])
    expect(newest.body.total).toBe(5)
    const next = await call("GET", `/api/sessions?project_id=${project.id}&order=desc&limit=2&cursor=${newest.body.next_cursor}`)
    expect(next.body.items.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]])
    expect(next.body.total).toBeUndefined()
    expect((await call("GET", "/api/sessions?count=true&limit=1")).body.total).toBe(6)
    expect((await call("GET", "/api/projects?order=sideways")).status).toBe(400)
  })

  test("events page with cursor, as every other list", async () => {
    const { call } = await testApp()
    for (let i = 0; i < 3; i++) await call("POST", "/api/events", { kind: "e" })
    const first = await call("GET", "/api/events?limit=2")
    expect(first.body.next_cursor).toBe("2")
    expect((await call("GET", `/api/events?cursor=${first.body.next_cursor}`)).body.items.map((e: { id: number }) => e.id)).toEqual([3])
  })
})
