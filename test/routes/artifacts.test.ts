import { describe, expect, test } from "bun:test"
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { testApp, until } from "../helpers"

async function setup(opts: { maxArtifactBytes?: number } = {}) {
  const t = await testApp(opts)
  const project = (await t.call("POST", "/api/projects", { name: "p", directory: "/p" })).body
  const session = (await t.call("POST", "/api/sessions", { project_id: project.id, name: "s" })).body
  const upload = async (body: string | Uint8Array, query: string, type = "text/plain", sid = session.id) => {
    const res = await t.app.handle(
      new Request(`http://localhost/api/sessions/${sid}/artifacts${query}`, { method: "POST", headers: { ...t.headers, "content-type": type }, body }),
    )
    return { status: res.status, body: (await res.json()) as Record<string, any> }
  }
  const get = (id: string, headers: Record<string, string> = {}) =>
    t.app.handle(new Request(`http://localhost/api/artifacts/${id}`, { headers: { ...t.headers, ...headers } }))
  return { ...t, session, upload, get }
}

const LOG = Array.from({ length: 5000 }, (_, i) => `line ${i}: all is well\n`).join("")

describe("artifacts", () => {
  test("a text upload is stored compressed under its session and type, and comes back byte for byte", async () => {
    const { upload, get, home, session } = await setup()
    const up = await upload(LOG, "?type=log&name=run.log")
    expect(up.status).toBe(201)
    expect(up.body).toMatchObject({ session_id: session.id, type: "log", name: "run.log", content_type: "text/plain", size: LOG.length, encoding: "gzip" })
    expect(up.body.stored_size).toBeLessThan(LOG.length / 5)
    expect(up.body.sha256).toBe(new Bun.CryptoHasher("sha256").update(LOG).digest("hex"))
    const file = join(home, up.body.path)
    expect(up.body.path).toBe(`artifacts/${session.id}/log/${up.body.sha256}.gz`)
    expect(gunzipSync(readFileSync(file)).toString()).toBe(LOG)
    const res = await get(up.body.id)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/plain")
    expect(res.headers.get("content-length")).toBe(String(LOG.length))
    expect(await res.text()).toBe(LOG)
  })

  test("the same content is stored once; the file goes when the last artifact using it is deleted", async () => {
    const { upload, call, home, session } = await setup()
    const bytes = crypto.getRandomValues(new Uint8Array(100_000))
    const a = (await upload(bytes, "?type=bundle", "application/octet-stream")).body
    const b = (await upload(bytes, "?type=bundle&name=again", "application/octet-stream")).body
    expect(a.id).not.toBe(b.id)
    expect(a.path).toBe(b.path)
    expect(a.encoding).toBe("identity")
    expect(readdirSync(join(home, "artifacts", session.id, "bundle"))).toEqual([a.sha256])
    expect((await call("GET", `/api/sessions/${session.id}/artifacts`)).body.items.map((x: { id: string }) => x.id)).toEqual([a.id, b.id])
    expect((await call("DELETE", `/api/artifacts/${a.id}`)).status).toBe(204)
    expect(existsSync(join(home, a.path))).toBe(true)
    expect((await call("DELETE", `/api/artifacts/${b.id}`)).status).toBe(204)
    expect(existsSync(join(home, a.path))).toBe(false)
    expect((await call("DELETE", `/api/artifacts/${b.id}`)).status).toBe(404)
  })

  test("Range reads return the asked bytes of the original content, compressed or not", async () => {
    const { upload, get } = await setup()
    const bytes = crypto.getRandomValues(new Uint8Array(70_000))
    for (const [body, type] of [
      [LOG, "text/plain"],
      [bytes, "application/octet-stream"],
    ] as const) {
      const a = (await upload(body, "?type=x", type)).body
      const whole = typeof body === "string" ? Buffer.from(body) : Buffer.from(body)
      for (const [range, start, end] of [
        ["bytes=0-9", 0, 9],
        ["bytes=65000-", 65000, whole.length - 1],
        ["bytes=-100", whole.length - 100, whole.length - 1],
        ["bytes=10-999999999", 10, whole.length - 1],
      ] as const) {
        const res = await get(a.id, { range })
        expect(res.status, range).toBe(206)
        expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${whole.length}`)
        expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end + 1)), range).toBe(true)
      }
      const bad = await get(a.id, { range: `bytes=${whole.length}-` })
      expect(bad.status).toBe(416)
      expect(bad.headers.get("content-range")).toBe(`bytes */${whole.length}`)
    }
  })

  test("an upload over the limit is a 413, declared or streamed, and leaves nothing behind", async () => {
    const { upload, home, session, app, headers } = await setup({ maxArtifactBytes: 10_000 })
    expect((await upload("x".repeat(5000), "?type=log")).status).toBe(201) // above the JSON body limit: uploads have their own
    const declared = await upload("x".repeat(10_001), "?type=log")
    expect(declared.status).toBe(413)
    expect(declared.body.error.code).toBe("payload_too_large")
    const chunks = new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(4096))
      },
    })
    const streamed = await app.handle(
      new Request(`http://localhost/api/sessions/${session.id}/artifacts?type=log`, { method: "POST", headers, body: chunks, duplex: "half" } as RequestInit),
    )
    expect(streamed.status).toBe(413)
    expect(readdirSync(join(home, "artifacts", ".incoming"))).toEqual([])
  })

  test("clear errors: unknown session, bad type, unknown artifact", async () => {
    const { upload, call } = await setup()
    expect((await upload("x", "?type=log", "text/plain", "nope")).body).toEqual({ error: { code: "not_found", message: "session nope not found" } })
    expect((await upload("x", "?type=../etc")).status).toBe(400)
    expect((await upload("x", "")).status).toBe(400)
    expect((await call("GET", "/api/artifacts/nope")).status).toBe(404)
  })

  test("an artifact whose file was removed from disk answers 410 with a pointer to hive doctor", async () => {
    const { upload, get, home } = await setup()
    const a = (await upload("soon gone", "?type=log")).body
    rmSync(join(home, a.path))
    const res = await get(a.id)
    expect(res.status).toBe(410)
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("hive doctor")
  })

  test("storage reports bytes per session and by kind", async () => {
    const { upload, call, session } = await setup()
    const a = (await upload(LOG, "?type=log")).body
    await upload(LOG, "?type=log")
    const s = (await call("GET", "/api/storage")).body
    expect(s.sessions).toEqual([{ session_id: session.id, artifacts: 2, bytes: a.stored_size }])
    expect(s.by_kind.artifacts).toBe(a.stored_size)
    expect(s.by_kind.database).toBeGreaterThan(0)
    expect(s.total_bytes).toBe(s.by_kind.database + s.by_kind.artifacts + s.by_kind.backups)
  })
})

describe("storage and backups for the desk", () => {
  test("the database is split by what its pages hold; a prune shows as free pages, then the reclaim gives them back", async () => {
    const { call, db } = await setup()
    const insert = db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'old', ?)")
    const filler = JSON.stringify({ filler: "x".repeat(500) })
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(Date.now() - 30 * 86_400_000, filler)
    })()
    const before = (await call("GET", "/api/storage")).body
    const k = before.database_by_kind
    expect(k.events).toBeGreaterThan(2_500_000) // 5000 rows of 500 bytes, with their search index
    expect(k.events).toBeGreaterThan(k.sessions + k.broker + k.transcript_index)
    expect(Object.values(k as Record<string, number>).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(before.by_kind.database)
    expect((await call("POST", "/api/jobs/prune-events/run")).body.rows_affected).toBe(5000)
    const pruned = (await call("GET", "/api/storage")).body.database_by_kind
    expect(pruned.events).toBeLessThan(k.events / 10)
    expect(pruned.free).toBeGreaterThan(2_000_000)
    expect((await call("POST", "/api/jobs/vacuum/run")).body.error).toBeNull()
    const reclaimed = (await call("GET", "/api/storage")).body
    expect(reclaimed.database_by_kind.free).toBeLessThan(pruned.free / 10)
    expect(reclaimed.by_kind.database).toBeLessThan(before.by_kind.database - 2_000_000)
  })

  test("a backup downloads as an attachment, byte for byte; a name not in the list is a 404, a path a 400", async () => {
    const { call, app, headers, config } = await setup()
    expect((await call("POST", "/api/jobs/backup/run")).body.error).toBeNull()
    const [made] = (await call("GET", "/api/backups")).body.items
    const res = await app.handle(new Request(`http://localhost/api/backups/${made.name}`, { headers }))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${made.name}"`)
    const body = new Uint8Array(await res.arrayBuffer())
    expect(body).toEqual(new Uint8Array(readFileSync(join(config.backupsDir, made.name))))
    expect(new TextDecoder().decode(body.subarray(0, 15))).toBe("SQLite format 3")
    expect((await call("GET", "/api/backups/hive-2020-01-01T00-00-00-000Z.db")).status).toBe(404)
    expect((await call("GET", "/api/backups/..%2Fhive.db")).status).toBe(400)
    expect((await app.handle(new Request(`http://localhost/api/backups/${made.name}`))).status).toBe(401)
  })

  test("a backup is checked as a restore would check it, while hive runs, without changing anything", async () => {
    const { call, config } = await setup()
    expect((await call("POST", "/api/jobs/backup/run")).body.error).toBeNull()
    const [made] = (await call("GET", "/api/backups")).body.items
    const good = (await call("POST", `/api/backups/${made.name}/check`)).body
    expect(good).toMatchObject({ name: made.name, ok: true })
    expect(good.message).toContain("passes every check")
    expect(good.message).not.toContain(config.backupsDir) // the data home's paths stay its own
    // A damaged copy: the check says so, with the reason.
    const path = join(config.backupsDir, made.name)
    const bytes = readFileSync(path)
    for (let i = 4096; i < bytes.length; i += 4096) bytes[i + 1] = 0xff
    writeFileSync(path, bytes)
    const bad = (await call("POST", `/api/backups/${made.name}/check`)).body
    expect(bad.ok).toBe(false)
    expect(bad.message).toContain("nothing was changed")
    expect(readdirSync(config.home).filter((n) => n.startsWith(".restore-"))).toEqual([])
    expect((await call("POST", "/api/backups/hive-2020-01-01T00-00-00-000Z.db/check")).status).toBe(404)
  })
})

describe("export and import for the desk", () => {
  test("a session's export downloads as hive export writes it, and imports into another home with its artifact file", async () => {
    const { call, upload, session, app, headers, auth } = await setup()
    const a = (await upload(LOG, "?type=log&name=run.log")).body
    const res = await app.handle(new Request(`http://localhost/api/export?session=${session.id}`, { headers }))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="hive-export-.*\.jsonl"$/)
    const text = await res.text()
    const lines = text.trim().split("\n")
    expect(JSON.parse(lines[0]!)).toMatchObject({ hive_export: 2, scope: { kind: "session", id: session.id } })
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true, files: 1 })

    const other = await testApp()
    const imported = await other.app.handle(
      new Request("http://localhost/api/import", { method: "POST", headers: { ...other.headers, "content-type": "application/x-ndjson" }, body: text }),
    )
    expect(imported.status).toBe(200)
    const report = (await imported.json()) as Record<string, any>
    expect(report).toMatchObject({ file: "upload", mode: "skip", files: { written: 1 }, missing_files: [] })
    expect(report.tables.sessions.inserted).toBe(1)
    expect(report.tables.artifacts.inserted).toBe(1)
    const back = await other.app.handle(new Request(`http://localhost/api/artifacts/${a.id}`, { headers: other.headers }))
    expect(await back.text()).toBe(LOG)
    // No file of the upload is left in the home.
    expect(readdirSync(other.home).filter((n) => n.startsWith(".import-"))).toEqual([])

    // A cut-off file is a 400 with the reason, and changes nothing.
    const cut = await other.app.handle(
      new Request("http://localhost/api/import", {
        method: "POST",
        headers: { ...other.headers, "content-type": "application/x-ndjson" },
        body: lines.slice(0, -1).join("\n"),
      }),
    )
    expect(cut.status).toBe(400)
    expect(((await cut.json()) as { error: { message: string } }).error.message).toContain("cut short")
    const empty = new Request("http://localhost/api/import", {
      method: "POST",
      headers: { ...other.headers, "content-type": "application/x-ndjson" },
      body: "",
    })
    expect((await other.app.handle(empty)).status).toBe(400)
    const asText = new Request("http://localhost/api/import", { method: "POST", headers: { ...other.headers, "content-type": "text/plain" }, body: text })
    expect((await other.app.handle(asText)).status).toBe(415) // what a cross-site form could send

    expect((await call("GET", "/api/export?session=nope")).status).toBe(404)
    expect((await call("GET", "/api/export?secrets=all")).status).toBe(400)
    const reader = (await auth.issue("reader", 60_000, { scope: "read" })).token
    expect((await app.handle(new Request("http://localhost/api/export", { headers: { authorization: `Bearer ${reader}` } }))).status).toBe(403)
  })
})

describe("an import in progress", () => {
  test("GET /api/import follows the import under way; a second one waits its turn (409)", async () => {
    const source = await testApp()
    const insert = source.db.prepare("INSERT INTO events (ts, kind, payload) VALUES (?, 'bulk', '{}')")
    source.db.transaction(() => {
      for (let i = 0; i < 30_000; i++) insert.run(Date.now())
    })()
    const text = await (await source.app.handle(new Request("http://localhost/api/export", { headers: source.headers }))).text()
    const target = await testApp()
    expect((await target.call("GET", "/api/import")).body).toEqual({ running: false, progress: null })
    const post = () =>
      target.app.handle(
        new Request("http://localhost/api/import", { method: "POST", headers: { ...target.headers, "content-type": "application/x-ndjson" }, body: text }),
      )
    const first = post()
    let settled = false
    first.finally(() => (settled = true))
    const phases = new Set<string>()
    // Seen under way (it is 30,000 records: uploading and checking them takes a while), a second one is refused.
    await until("the import to be under way", async () => (await target.call("GET", "/api/import")).body.running)
    expect((await post()).status).toBe(409)
    while (!settled) {
      const now = (await target.call("GET", "/api/import")).body
      if (now.progress) phases.add(now.progress.phase)
      await Bun.sleep(5)
    }
    expect((await first).status).toBe(200)
    expect(phases.size).toBeGreaterThanOrEqual(1)
    expect([...phases].every((p) => ["uploading", "checking", "writing"].includes(p))).toBe(true)
    expect((await target.call("GET", "/api/import")).body).toEqual({ running: false, progress: null })
  })
})

describe("the doctor for the desk", () => {
  test("GET /api/doctor answers hive doctor's findings, run in a child process; a lost artifact file is a failure with its fix", async () => {
    const { call, upload, home } = await setup()
    const healthy = (await call("GET", "/api/doctor")).body
    expect(healthy.findings).toContainEqual({ level: "ok", check: "database", what: "integrity_check: ok", fix: null })
    expect(healthy.duration_ms).toBeGreaterThan(0)
    const a = (await upload(LOG, "?type=log")).body
    rmSync(join(home, a.path))
    // Two at once share one run.
    const [one, two] = await Promise.all([call("GET", "/api/doctor"), call("GET", "/api/doctor")])
    expect(one.body).toEqual(two.body)
    const failed = one.body.findings.find((f: { check: string; level: string }) => f.check === "artifacts" && f.level === "fail")
    expect(failed.what).toContain("1 ")
    expect(failed.fix).toBeTruthy()
    expect(one.body.problems).toBeGreaterThanOrEqual(1)
  })
})

describe("artifacts a hostile agent uploads", () => {
  test("an HTML or SVG upload is served so that it can never run: nosniff, a sandbox, a download", async () => {
    const { upload, get } = await setup()
    const html = await upload("<script>fetch('/api/secrets')</script>", "?type=page&name=evil.html", "text/html")
    const res = await get(html.body.id)
    expect(res.headers.get("content-type")).toBe("text/html")
    expect(res.headers.get("x-content-type-options")).toBe("nosniff")
    expect(res.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'")
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="evil.html"; filename*=UTF-8''evil.html`)
    const svg = await upload("<svg onload='alert(1)'/>", "?type=img", "image/svg+xml")
    expect((await get(svg.body.id)).headers.get("content-disposition")).toStartWith("attachment;")
    const log = await upload("plain\n", "?type=log&name=r%C3%A9sum%C3%A9.log")
    expect((await get(log.body.id)).headers.get("content-disposition")).toBe(`inline; filename="r_sum_.log"; filename*=UTF-8''r%C3%A9sum%C3%A9.log`)
  })

  test("a name with NUL, CR or LF is refused before a byte is stored", async () => {
    const { upload, blobs } = await setup()
    for (const name of ["a%00b", "a%0d%0aSet-Cookie:%20x", "tab%09bed"]) {
      const res = await upload("x", `?type=log&name=${name}`)
      expect(res.status, name).toBe(400)
      expect(res.body.error.message).toContain("no control characters")
    }
    expect(blobs.files()).toEqual([])
  })
})
