import { describe, expect, test } from "bun:test"
import { Database } from "bun:sqlite"
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ROOT, tempDir, testApp } from "../helpers"
import { rotateMasterKey } from "../../src/secrets/rotation"
import { type PhoneKey, phoneKey } from "../phone-key"

async function setup() {
  const t = await testApp()
  // Each paired phone's key, by its cookie: its changes are signed as the page signs them.
  const keys = new Map<string, PhoneKey>()
  const phoneCall = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const key = headers.cookie ? keys.get(headers.cookie) : undefined
    const signed = key && method !== "GET" ? await key.sign(method, path, text) : {}
    const res = await t.phone.handle(
      new Request(`http://phone.example${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...signed, ...headers },
        body: text,
      }),
    )
    const answer = await res.text()
    return { status: res.status, body: answer ? JSON.parse(answer) : undefined, headers: res.headers }
  }
  const openWindow = async () => {
    const res = await t.call("POST", "/api/pairing")
    expect(res.status).toBe(201)
    return res.body as { id: string; url: string; code: string; expires_at: number }
  }
  const secretOf = (url: string) => new URL(url).hash.replace("#pair=", "")
  const pair = async (proof: { secret?: string; code?: string }, name = "phone") => {
    const key = await phoneKey()
    const res = await phoneCall("POST", "/pair", { ...proof, name, platform: "ios", signing_key: key.publicKey }, { "user-agent": "Mobile Safari" })
    const cookie = res.headers.get("set-cookie")?.split(";")[0]
    if (cookie) keys.set(cookie, key)
    return { ...res, cookie, key }
  }
  return { ...t, phoneCall, openWindow, secretOf, pair, keys }
}

describe("pairing", () => {
  test("the QR secret pairs a device once; its cookie opens the phone API", async () => {
    const { openWindow, secretOf, pair, phoneCall, call, app, headers } = await setup()
    const w = await openWindow()
    expect(w.code).toMatch(/^\d{6}$/)
    expect(w.url).toStartWith("http://127.0.0.1:")
    const svg = await app.handle(new Request(`http://localhost/api/pairing/${w.id}/qr.svg`, { headers }))
    expect(svg.headers.get("content-type")).toBe("image/svg+xml")
    expect(await svg.text()).toStartWith("<svg")
    const paired = await pair({ secret: secretOf(w.url) })
    expect(paired.status).toBe(201)
    expect(paired.headers.get("set-cookie")).toMatch(/^hive_device=[\w.-]+; HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=\d+$/)
    expect((await phoneCall("GET", "/phone/api/me", undefined, { cookie: paired.cookie! })).body).toMatchObject({
      name: "phone",
      platform: "ios",
      user_agent: "Mobile Safari",
    })
    expect((await pair({ secret: secretOf(w.url) })).body.error.code).toBe("pairing_closed") // single use
    expect((await call("GET", "/api/devices")).body.items).toHaveLength(1)
  })

  test("the 6-digit code pairs too; an expired window pairs nothing", async () => {
    const { openWindow, pair, pairingService } = await setup()
    const w = await openWindow()
    expect((await pair({ code: w.code })).status).toBe(201)
    const short = pairingService.open(1)
    await Bun.sleep(5)
    expect((await pair({ code: short.code })).body.error.code).toBe("pairing_closed")
  })

  test("50 parallel guesses: at most 5 are evaluated, the window closes, and the right secret then fails", async () => {
    const { openWindow, secretOf, pair, db } = await setup()
    const w = await openWindow()
    const wrong = (i: number) => String((Number(w.code) + 1 + i) % 1_000_000).padStart(6, "0")
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => pair({ code: wrong(i) })))
    const by = (code: string) => results.filter((r) => r.body.error?.code === code).length
    expect(by("wrong_pairing_proof")).toBe(5)
    expect(by("wrong_pairing_proof") + by("too_many_attempts") + by("pairing_closed")).toBe(50)
    // Every guess that reached the open window was counted in the database; none after it closed was evaluated.
    expect(db.query("SELECT attempts, closed_at IS NOT NULL AS closed FROM pairing_windows").get()).toEqual({ attempts: 5, closed: 1 })
    expect((await pair({ secret: secretOf(w.url) })).body.error.code).toBe("pairing_closed")
  })

  test("a master key rotation keeps paired phones working: their tokens pin the generation that signed them", async () => {
    const { openWindow, secretOf, pair, phoneCall, vault, stores, tokenId } = await setup()
    const a = await pair({ secret: secretOf((await openWindow()).url) }, "a")
    stores.tokens.revoke(tokenId) // the admin token no longer pins the first generation: only the device does
    const report = rotateMasterKey(vault.sealer, "test")
    expect(report.retired).toEqual([])
    expect(report.kept.map((k) => k.because)).toEqual(["1 device tokens"])
    expect((await phoneCall("GET", "/phone/api/me", undefined, { cookie: a.cookie! })).status).toBe(200)
    // Once the device is revoked, its token pins nothing: the next rotation retires the first generation.
    stores.pairing.revoke(a.body.device.id)
    expect(rotateMasterKey(vault.sealer, "test").retired).toHaveLength(2)
  })

  test("revoking one device refuses its next request; the others keep working", async () => {
    const { openWindow, secretOf, pair, phoneCall, call } = await setup()
    const a = await pair({ secret: secretOf((await openWindow()).url) }, "a")
    const b = await pair({ secret: secretOf((await openWindow()).url) }, "b")
    expect((await phoneCall("GET", "/phone/api/sessions", undefined, { cookie: a.cookie! })).status).toBe(200)
    const revoked = await call("DELETE", `/api/devices/${a.body.device.id}`)
    expect(revoked.body.revoked_at).toBeGreaterThan(0)
    expect((await phoneCall("GET", "/phone/api/sessions", undefined, { cookie: a.cookie! })).body).toEqual({
      error: { code: "unauthorized", message: "this device was revoked; pair it again" },
    })
    expect((await phoneCall("GET", "/phone/api/sessions", undefined, { cookie: b.cookie! })).status).toBe(200)
    expect((await phoneCall("GET", "/phone/api/sessions")).status).toBe(401)
    expect((await call("GET", "/api/devices")).body.items.map((d: { last_seen_at: number | null }) => d.last_seen_at! > 0)).toEqual([true, true])
  })
})

describe("the phone API", () => {
  test("a phone request writes last_seen_at at most once a minute: it never waits for the write lock in between", async () => {
    const { openWindow, secretOf, pair, phoneCall, config } = await setup()
    const { cookie } = await pair({ secret: secretOf((await openWindow()).url) })
    expect((await phoneCall("GET", "/phone/api/me", undefined, { cookie: cookie! })).status).toBe(200)
    // Another writer holds the lock (an agent's batch, a CLI): a phone request that asked for it would wait out
    // the busy timeout and fail with a 503.
    const other = new Database(config.dbPath)
    other.run("BEGIN IMMEDIATE")
    try {
      const me = await phoneCall("GET", "/phone/api/me", undefined, { cookie: cookie! })
      expect(me.status).toBe(200)
      expect(me.body.last_seen_at).toBeGreaterThan(0)
    } finally {
      other.run("ROLLBACK")
      other.close()
    }
  })

  test("approve an approval and answer a question from the phone; the admin API sees it", async () => {
    const { openWindow, secretOf, pair, phoneCall, call } = await setup()
    const { cookie } = await pair({ secret: secretOf((await openWindow()).url) })
    await call("POST", "/api/agents", { name: "alice" })
    const approval = (await call("POST", "/api/approvals", { agent: "alice", kind: "spawn" })).body
    const question = (await call("POST", "/api/questions", { asker: "alice", question: "Ship it?", options: ["yes", "no"] })).body
    const c = { cookie: cookie! }
    expect((await phoneCall("GET", "/phone/api/approvals", undefined, c)).body.items.map((a: { id: string }) => a.id)).toEqual([approval.id])
    expect((await phoneCall("POST", `/phone/api/approvals/${approval.id}`, { status: "approved", note: "from my phone" }, c)).body.status).toBe("approved")
    expect((await phoneCall("POST", `/phone/api/approvals/${approval.id}`, { status: "denied" }, c)).status).toBe(409)
    expect((await phoneCall("GET", "/phone/api/questions", undefined, c)).body.items.map((q: { id: string }) => q.id)).toEqual([question.id])
    expect((await phoneCall("POST", `/phone/api/questions/${question.id}/answer`, { answer: "yes" }, c)).body.answer).toBe("yes")
    expect((await call("GET", `/api/approvals/${approval.id}`)).body).toMatchObject({ status: "approved", resolution_note: "from my phone" })
    expect((await call("GET", `/api/questions/${question.id}`)).body.status).toBe("answered")
  })

  test("the phone listener holds at most HIVE_PHONE_MAX_STREAMS streams (6), each a tunnel socket: one more is a 503 with Retry-After", async () => {
    const { openWindow, secretOf, pair, phone, config } = await setup()
    const { cookie } = await pair({ secret: secretOf((await openWindow()).url) })
    expect(config.phoneMaxStreams).toBe(6)
    const open = () => {
      const abort = new AbortController()
      return { abort, res: phone.handle(new Request("http://phone.example/phone/api/events/stream", { headers: { cookie: cookie! }, signal: abort.signal })) }
    }
    const held = Array.from({ length: 6 }, open)
    for (const h of held) expect((await h.res).status).toBe(200)
    const refused = await open().res
    expect(refused.status).toBe(503)
    expect(refused.headers.get("retry-after")).toBe("5")
    expect(await refused.json()).toEqual({ error: { code: "too_many_streams", message: "at most 6 event streams at once here; close one and retry" } })
    // The rest of the phone API is not held up by the streams.
    expect((await phone.handle(new Request("http://phone.example/phone/api/approvals", { headers: { cookie: cookie! } }))).status).toBe(200)
    held[0]!.abort.abort()
    await (await held[0]!.res).body?.cancel()
    await Bun.sleep(50)
    const again = open()
    expect((await again.res).status).toBe(200)
    for (const h of [...held, again]) h.abort.abort()
  })

  test("the trust boundary: no admin route on the phone app; a device token is refused on the admin API", async () => {
    const { openWindow, secretOf, pair, phoneCall, call, headers } = await setup()
    const { cookie } = await pair({ secret: secretOf((await openWindow()).url) })
    for (const path of ["/api/projects", "/api/secrets", "/api/devices", "/openapi", "/api/pairing"]) {
      expect((await phoneCall("GET", path, undefined, { ...headers, cookie: cookie! })).status, path).toBe(404)
    }
    expect((await phoneCall("POST", "/api/pairing", {}, headers)).status).toBe(404)
    const device = cookie!.split("=")[1]!
    expect((await call("GET", "/api/projects", undefined, { authorization: `Bearer ${device}` })).status).toBe(403)
    expect((await call("GET", "/api/projects", undefined, { cookie: cookie! })).status).toBe(401)
  })
})

describe("device names", () => {
  test("a phone renames itself, the operator renames any device; a blank name is a 400, an unknown device a 404", async () => {
    const { openWindow, secretOf, pair, phoneCall, call } = await setup()
    const paired = await pair({ secret: secretOf((await openWindow()).url) }, "iPhone")
    const cookie = { cookie: paired.cookie! }
    expect((await phoneCall("PATCH", "/phone/api/me", { name: "Ana's iPhone" }, cookie)).body).toMatchObject({ name: "Ana's iPhone" })
    expect((await phoneCall("PATCH", "/phone/api/me", { name: "" }, cookie)).status).toBe(400)
    expect((await phoneCall("PATCH", "/phone/api/me", { name: "x" })).status).toBe(401)
    const id = paired.body.device.id
    expect((await call("PATCH", `/api/devices/${id}`, { name: "desk test phone" })).body).toMatchObject({ id, name: "desk test phone" })
    expect((await call("PATCH", "/api/devices/01a23cd1-4e5e-77a7-b334-3d97787e8bcc", { name: "x" })).status).toBe(404)
    expect((await call("GET", "/api/devices")).body.items[0].name).toBe("desk test phone")
  })
})

describe("changes from a phone are signed with the key it paired with", () => {
  test("the cookie alone is refused; another key, a changed body or path, an old time and a replay are refused; nothing changes", async () => {
    const { openWindow, secretOf, pair, phoneCall, call, phone } = await setup()
    const { cookie, key } = await pair({ secret: secretOf((await openWindow()).url) })
    await call("POST", "/api/agents", { name: "alice" })
    const approval = (await call("POST", "/api/approvals", { agent: "alice", kind: "deploy" })).body
    const other = (await call("POST", "/api/approvals", { agent: "alice", kind: "spawn" })).body
    const path = `/phone/api/approvals/${approval.id}`
    const body = JSON.stringify({ status: "approved", note: null })
    const send = async (p: string, text: string, signed: Record<string, string>) => {
      const res = await phone.handle(
        new Request(`http://phone.example${p}`, { method: "POST", headers: { cookie: cookie!, "content-type": "application/json", ...signed }, body: text }),
      )
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } }
    }
    const refusedWith = async (p: string, text: string, signed: Record<string, string>) => (await send(p, text, signed)).body.error?.code

    // What a relay that saw the cookie can send.
    const bare = await send(path, body, {})
    expect(bare.status).toBe(401)
    expect(bare.body.error!.message).toContain("must be signed with the key it paired with")
    const stranger = await phoneKey()
    expect(await refusedWith(path, body, await stranger.sign("POST", path, body))).toBe("bad_signature")
    expect(await refusedWith(path, JSON.stringify({ status: "denied", note: null }), await key.sign("POST", path, body))).toBe("bad_signature")
    expect(await refusedWith(`/phone/api/approvals/${other.id}`, body, await key.sign("POST", path, body))).toBe("bad_signature")
    expect(await refusedWith(path, body, await key.sign("POST", path, body, { time: Date.now() - 5 * 60_000 }))).toBe("signature_expired")
    expect(await refusedWith(path, body, { "x-hive-time": "1", "x-hive-nonce": "short", "x-hive-signature": "x" })).toBe("bad_signature")
    expect((await call("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending")

    // The phone's own signature works once; the same request again is a replay.
    const signed = await key.sign("POST", path, body)
    expect((await send(path, body, signed)).status).toBe(200)
    expect(await refusedWith(path, body, signed)).toBe("replayed")
    // Reads need no signature.
    expect((await phoneCall("GET", "/phone/api/approvals", undefined, { cookie: cookie! })).status).toBe(200)
  })

  test("pairing registers a P-256 key or is refused; a phone paired before keys may read but is told to pair again to change anything", async () => {
    const { openWindow, secretOf, phoneCall, call, db, pair } = await setup()
    const secret = secretOf((await openWindow()).url)
    for (const signing_key of [undefined, "", "abc", Buffer.alloc(65, 1).toString("base64url"), Buffer.alloc(33, 4).toString("base64url")]) {
      const res = await phoneCall("POST", "/pair", { secret, name: "p", ...(signing_key === undefined ? {} : { signing_key }) })
      expect(res.status).toBe(400)
      expect(res.body.error.message).toContain("signing_key")
    }
    const { cookie, body } = await pair({ secret })
    db.run("UPDATE paired_devices SET signing_key = NULL WHERE id = ?", [body.device.id])
    expect((await phoneCall("GET", "/phone/api/me", undefined, { cookie: cookie! })).status).toBe(200)
    const old = await phoneCall("PATCH", "/phone/api/me", { name: "renamed" }, { cookie: cookie! })
    expect(old).toMatchObject({ status: 401, body: { error: { code: "signature_required" } } })
    expect(old.body.error.message).toContain("pair it again")
    expect((await call("GET", "/api/devices")).body.items[0].name).not.toBe("renamed")
  })
})

describe("the phone's session view, messages and history", () => {
  test("a session with its latest events and its transcript, from the start or its latest part; a message to an agent; resolved approvals", async () => {
    const { openWindow, secretOf, pair, phoneCall, call, stores } = await setup()
    const { cookie } = await pair({ secret: secretOf((await openWindow()).url) })
    const c = { cookie: cookie! }
    const dir = tempDir("hive-phone-transcript-")
    const transcript = join(dir, "t.jsonl")
    const fixture = readFileSync(join(ROOT, "test/fixtures/claude-code/run-a/transcript.jsonl"), "utf8")
    // Long enough that its latest 256 KB is not the whole of it.
    writeFileSync(transcript, fixture.repeat(40))
    const session = (await call("POST", "/api/sessions", { agent_session_id: "cc-view", name: "checkout", transcript_path: transcript })).body
    for (let i = 0; i < 60; i++) stores.events.append({ kind: "claude.PostToolUse", session_id: session.id, payload: { n: i } })

    const view = await phoneCall("GET", `/phone/api/sessions/${session.id}`, undefined, c)
    expect(view.body.session.id).toBe(session.id)
    expect(view.body.events).toHaveLength(50)
    expect(view.body.events[0].payload).toEqual({ n: 59 }) // newest first

    const first = await phoneCall("GET", `/phone/api/sessions/${session.id}/transcript?limit=5`, undefined, c)
    expect(first.body.entries.map((e: { offset: number }) => e.offset)[0]).toBe(0)
    const latest = await phoneCall("GET", `/phone/api/sessions/${session.id}/transcript?tail=true`, undefined, c)
    const size = statSync(transcript).size
    expect(latest.body.entries[0].offset).toBeGreaterThanOrEqual(size - 256 * 1024)
    // Whole lines only: every entry of the latest part is JSON, and it reads on to the end.
    expect(latest.body.entries.every((e: { entry?: unknown }) => e.entry !== undefined)).toBe(true)
    // (Offsets are bytes.) The line before it ends just there.
    expect(readFileSync(transcript)[latest.body.entries[0].offset - 1]).toBe(0x0a)
    expect((await phoneCall("GET", "/phone/api/sessions/nope/transcript", undefined, c)).status).toBe(404)

    await call("POST", "/api/agents", { name: "alice" })
    expect((await phoneCall("GET", "/phone/api/agents", undefined, c)).body).toEqual({ items: ["alice"] })
    const sent = await phoneCall("POST", "/phone/api/messages", { to: "alice", body: "please rebase first" }, c)
    expect(sent).toMatchObject({ status: 201, body: { sender: "operator", recipient: "alice", body: "please rebase first" } })
    expect((await call("GET", "/api/messages/inbox/alice")).body.items.map((m: { body: string }) => m.body)).toContain("please rebase first")
    expect((await phoneCall("POST", "/phone/api/messages", { to: "nobody", body: "x" }, c)).status).toBe(404)

    const a = (await call("POST", "/api/approvals", { agent: "alice", kind: "deploy" })).body
    const b = (await call("POST", "/api/approvals", { agent: "alice", kind: "spawn" })).body
    await phoneCall("POST", `/phone/api/approvals/${a.id}`, { status: "approved" }, c)
    await Bun.sleep(2)
    await phoneCall("POST", `/phone/api/approvals/${b.id}`, { status: "denied", note: "no" }, c)
    const history = await phoneCall("GET", "/phone/api/approvals/resolved", undefined, c)
    expect(history.body.items.map((x: { id: string; status: string }) => [x.id, x.status])).toEqual([
      [b.id, "denied"],
      [a.id, "approved"],
    ])
  })
})
