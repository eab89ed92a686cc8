import { describe, expect, test } from "bun:test"
import { createAdminApp, createPhoneApp } from "../../src/server"
import { testApp } from "../helpers"

// Issue 15, finding 5 and the stream cap of finding 8: a stream opened before a revocation must not outlive
// it, and the cap on open streams is one cap over both listeners.

/** Everything a stream sends until it ends (or `ms` pass), as text. */
async function drain(res: Response, ms: number): Promise<{ text: string; ended: boolean }> {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  const deadline = Date.now() + ms
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) {
      await reader.cancel().catch(() => {})
      return { text, ended: false }
    }
    const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => undefined)])
    if (!chunk) continue
    if (chunk.done) return { text, ended: true }
    text += decoder.decode(chunk.value)
  }
}

async function setup() {
  const ctx = await testApp()
  const hive = { ...ctx.hive, streams: { heartbeatMs: 100, maxStreams: 2, open: { active: 0 } } }
  const admin = createAdminApp(hive)
  const phone = createPhoneApp(hive)
  return { ...ctx, admin, phone }
}

describe("a live stream and its credential", () => {
  test("an admin token revoked while its stream is open ends the stream with an unauthorized event", async () => {
    const { admin, auth, stores, call } = await setup()
    const { token, row } = await auth.issue("watcher", 3600_000)
    const res = await admin.handle(new Request("http://localhost/api/events/stream", { headers: { authorization: `Bearer ${token}` } }))
    expect(res.status).toBe(200)
    const reading = drain(res, 3000)
    await Bun.sleep(150)
    stores.tokens.revoke(row.id)
    for (let i = 0; i < 3; i++) await call("POST", "/api/events", { kind: `after-revoke-${i}` })
    const { text, ended } = await reading
    expect(ended).toBe(true)
    expect(text).toContain("event: unauthorized")
    expect(text).toContain("this token has been revoked")
    expect(text).not.toContain("after-revoke")
  })

  test("a device revoked while its stream is open ends that stream too", async () => {
    const { phone, call, pairPhone } = await setup()
    const { cookie, device } = await pairPhone("p", phone)
    const res = await phone.handle(new Request("http://phone.example/phone/api/events/stream", { headers: { cookie } }))
    expect(res.status).toBe(200)
    const reading = drain(res, 3000)
    await Bun.sleep(150)
    expect((await call("DELETE", `/api/devices/${device}`)).status).toBe(200)
    await call("POST", "/api/events", { kind: "after-revoke" })
    const { text, ended } = await reading
    expect(ended).toBe(true)
    expect(text).toContain("event: unauthorized")
    expect(text).not.toContain("after-revoke")
  })

  test("the stream cap counts both listeners together", async () => {
    const { admin, phone, headers, pairPhone } = await setup()
    const { cookie } = await pairPhone("p", phone)
    const aborts = [new AbortController(), new AbortController()]
    const first = await admin.handle(new Request("http://localhost/api/events/stream", { headers, signal: aborts[0]!.signal }))
    const second = await phone.handle(new Request("http://phone.example/phone/api/events/stream", { headers: { cookie }, signal: aborts[1]!.signal }))
    expect([first.status, second.status]).toEqual([200, 200])
    const readers = [first.body!.getReader(), second.body!.getReader()]
    await Promise.all(readers.map((r) => r.read()))
    const third = await admin.handle(new Request("http://localhost/api/events/stream", { headers }))
    expect(third.status).toBe(503)
    const fourth = await phone.handle(new Request("http://phone.example/phone/api/events/stream", { headers: { cookie } }))
    expect(fourth.status).toBe(503)
    for (const a of aborts) a.abort()
    await Promise.all(readers.map((r) => r.cancel().catch(() => {})))
  })
})
