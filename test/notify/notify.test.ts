import { afterEach, describe, expect, test } from "bun:test"
import { testApp, until } from "../helpers"
import { phoneClient, phoneKey } from "../phone-key"
import { startPushService } from "./push-service"

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** The real app with its notifier running, a paired phone, and a local push service it is subscribed to. */
async function setup() {
  const ctx = await testApp({ pushAllowHttp: true })
  const push = startPushService()
  cleanups.push(() => push.stop())
  ctx.hive.notifier.start()
  cleanups.push(() => ctx.hive.notifier.stop())
  const { device, phoneCall: asPhone } = await ctx.pairPhone("pocket")
  const answer = async (res: Response) => {
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  const phoneCall = async (method: string, path: string, body?: unknown) => answer(await asPhone(method, path, body))
  const subscription = push.subscribe()
  const { id, ...browser } = subscription
  return { ...ctx, push, phoneCall, answer, device, subscription: { id, browser } }
}

describe("Web Push", () => {
  test("an approval reaches the subscribed phone: encrypted for it, signed with the install's VAPID key, with Approve and Deny", async () => {
    const { phoneCall, push, subscription, call } = await setup()
    const key = await phoneCall("GET", "/phone/api/push")
    expect(key.body.subscriptions).toBe(0)
    expect(Buffer.from(key.body.public_key, "base64url")).toHaveLength(65)
    expect(await phoneCall("PUT", "/phone/api/push", subscription.browser)).toEqual({ status: 201, body: { subscriptions: 1 } })
    expect((await phoneCall("PUT", "/phone/api/push", subscription.browser)).status).toBe(200)

    await call("POST", "/api/agents", { name: "alice" })
    const approval = (await call("POST", "/api/approvals", { agent: "alice", kind: "deploy", ref: "v2.1", note: "to production" })).body
    const [got] = await until("the push", () => push.received.length > 0 && push.received)
    expect(got!.payload).toEqual({
      title: "alice asks: deploy",
      body: "v2.1 — to production",
      tag: `approval-${approval.id}`,
      path: `/#approval=${approval.id}`,
      approval: approval.id,
    })
    // Signed with the key the phone subscribed with, for this push service only.
    expect(got!.vapid.key).toBe(key.body.public_key)
    expect(got!.vapid.aud).toBe(new URL(subscription.browser.endpoint).origin)
    expect(got!.vapid.sub).toStartWith("mailto:")
    expect(got!.vapid.exp * 1000 - Date.now()).toBeLessThanOrEqual(24 * 3600_000)
    expect(got).toMatchObject({ ttl: "86400", urgency: "high" })
    expect(push.rejected).toEqual([])

    // A question to the operator too; one between agents is not the operator's.
    await call("POST", "/api/agents", { name: "bob" })
    await call("POST", "/api/questions", { asker: "alice", target: "bob", question: "peer?" })
    const q = (await call("POST", "/api/questions", { asker: "alice", question: "Which region?", options: ["eu", "us"] })).body
    await until("the question's push", () => push.received.length === 2)
    expect(push.received[1]!.payload).toMatchObject({ title: "alice asks", body: "Which region? (eu / us)", tag: `question-${q.id}`, approval: null })
  })

  test("the VAPID key pair is made once and kept: a restart pushes with the same key", async () => {
    const { hive, vault, stores } = await setup()
    const first = await hive.notifier.publicKey()
    const { createNotifier } = await import("../../src/notify")
    const again = createNotifier({ stores, vault, pulse: hive.pulse, commit: hive.commit, logger: hive.logger, phoneBaseUrl: () => "http://x" })
    expect(await again.publicKey()).toBe(first)
    expect(vault.secretMeta("hive.vapid").size).toBe(32)
  })

  test("Claude Code waiting at its prompt and finishing a turn are pushed; the preferences turn each kind off", async () => {
    const { phoneCall, push, subscription, call } = await setup()
    await phoneCall("PUT", "/phone/api/push", subscription.browser)
    const hook = (body: Record<string, unknown>) =>
      call("POST", "/api/hooks/claude/http", { session_id: "cc-1", cwd: "/work/shop", transcript_path: "/tmp/t.jsonl", ...body })
    await hook({ hook_event_name: "SessionStart", source: "startup" })
    await hook({ hook_event_name: "Notification", notification_type: "idle_prompt", message: "Claude is waiting for your input" })
    await until("the idle push", () => push.received.length === 1)
    expect(push.received[0]!.payload).toMatchObject({ body: "Claude is waiting for your input", approval: null })
    expect((push.received[0]!.payload as { title: string }).title).toEndWith("is waiting for you")
    await hook({ hook_event_name: "Stop" })
    await until("the stop push", () => push.received.length === 2)
    expect((push.received[1]!.payload as { title: string }).title).toEndWith("is done")

    // hive's own key, and the older app's `notifications` object (seed 000) when hive's is not set.
    expect((await call("PUT", "/api/preferences/notifications.sessionComplete", { value: false })).status).toBe(200)
    await call("PUT", "/api/preferences/notifications", { value: { inputRequired: false, sessionComplete: true } })
    await hook({ hook_event_name: "Stop" })
    await hook({ hook_event_name: "Notification", notification_type: "idle_prompt", message: "again" })
    // A kind still on, after them: once it arrives, the two before it were passed over.
    await call("POST", "/api/agents", { name: "alice" })
    await call("POST", "/api/approvals", { agent: "alice", kind: "marker" })
    await until("the approval's push", () => push.received.length === 3)
    expect((push.received[2]!.payload as { title: string }).title).toBe("alice asks: marker")

    for (const [key, value] of [
      ["notifications.approvalRequested", "yes"],
      ["notifications.somethingElse", true],
      ["notifications.webhookTopic", "has space"],
    ] as const) {
      const res = await call("PUT", `/api/preferences/${key}`, { value })
      expect(res.status).toBe(400)
      expect(res.body.error.message).toContain(key)
    }
  })

  test("a subscription the push service calls gone is deleted; a revoked phone's are deleted and sent nothing", async () => {
    const { phoneCall, push, subscription, call, stores, device, pairPhone } = await setup()
    await phoneCall("PUT", "/phone/api/push", subscription.browser)
    push.gone.add(subscription.id)
    const test = await call("POST", "/api/notifications/test")
    expect(test.body).toEqual({ push: { phones: 0, sent: 0, gone: 1, failed: 0 }, webhook: null })
    expect(stores.push.count(device)).toBe(0)

    const other = await pairPhone("second")
    const { id: _id, ...browser } = push.subscribe()
    expect((await other.phoneCall("PUT", "/phone/api/push", browser)).status).toBe(201)
    expect(stores.push.count(other.device)).toBe(1)
    expect((await call("DELETE", `/api/devices/${other.device}`)).status).toBe(200)
    expect(stores.push.count(other.device)).toBe(0)
    expect((await call("POST", "/api/notifications/test")).body.push).toEqual({ phones: 0, sent: 0, gone: 0, failed: 0 })
  })

  test("a subscription must be an https push endpoint with real keys; unsubscribing stops the pushes", async () => {
    const ctx = await testApp()
    const { phoneCall } = await ctx.pairPhone("strict")
    const put = (body: unknown) => phoneCall("PUT", "/phone/api/push", body)
    const keys = { p256dh: Buffer.alloc(65, 4).toString("base64url"), auth: Buffer.alloc(16, 1).toString("base64url") }
    // Plain http would let a page make hive POST anywhere on its network: only a local push service under test.
    for (const endpoint of ["http://127.0.0.1:7420/api/secrets", "file:///etc/passwd", "not a url"]) {
      const res = await put({ endpoint, keys })
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('field "endpoint"')
    }
    expect((await put({ endpoint: "https://push.example/x", keys: { p256dh: "short", auth: keys.auth } })).status).toBe(400)
    expect((await put({ endpoint: "https://push.example/x", keys })).status).toBe(201)
    const del = await phoneCall("DELETE", "/phone/api/push")
    expect(del.status).toBe(204)
    expect(ctx.stores.push.active()).toEqual([])
  })
})

describe("the webhook", () => {
  test("ntfy- and Slack-shaped JSON to the URL kept as a secret; the test notification reports it", async () => {
    const { call, hive } = await setup()
    const bodies: Record<string, unknown>[] = []
    const receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        bodies.push((await req.json()) as Record<string, unknown>)
        return new Response("ok")
      },
    })
    cleanups.push(() => receiver.stop(true))
    const url = `http://127.0.0.1:${receiver.port}/hooks/T000/B000/secret-part`
    expect((await call("PUT", "/api/secrets/notifications.webhook", { value: url })).status).toBe(200)
    await call("PUT", "/api/preferences/notifications.webhookTopic", { value: "hive-alerts" })
    await call("POST", "/api/agents", { name: "alice" })
    const approval = (await call("POST", "/api/approvals", { agent: "alice", kind: "spawn", ref: "worker-3" })).body
    await until("the webhook", () => bodies.length === 1)
    expect(bodies[0]).toEqual({
      text: "*alice asks: spawn*\nworker-3",
      topic: "hive-alerts",
      title: "alice asks: spawn",
      message: "worker-3",
      tags: ["hive", "approvalRequested"],
      priority: 4,
      click: `${hive.phoneBaseUrl()}/#approval=${approval.id}`,
      kind: "approvalRequested",
    })
    expect((await call("POST", "/api/notifications/test")).body.webhook).toBe(true)
    // The URL is a credential: not in the audit log's reads, nor anywhere a list shows.
    expect(JSON.stringify((await call("GET", "/api/secrets")).body)).not.toContain("secret-part")
    receiver.stop(true)
    expect((await call("POST", "/api/notifications/test")).body.webhook).toBe(false)
  })
})

describe("hive serve", () => {
  test("the running server pushes to a phone subscribed through its phone listener, and stops cleanly", async () => {
    const { startServer } = await import("../cli/serve-helper")
    const { cliEnv, hive: cli, MAIN } = await import("../helpers")
    const push = startPushService()
    cleanups.push(() => push.stop())
    const env = { ...cliEnv(), HIVE_TEST_PUSH_HTTP: "1" }
    const token = (await cli(["token", "create", "--name", "push"], env)).stdout.trim()
    const server = await startServer(["bun", MAIN], env)
    cleanups.push(() => server.proc.kill("SIGKILL"))
    const phoneUrl = /phone listener (http:\/\/[\d.]+:\d+)/.exec(server.log())![1]!
    const admin = async (method: string, path: string, body?: unknown) =>
      (await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((r) => r.json())) as Record<string, any>
    const window = await admin("POST", "/api/pairing")
    const key = await phoneKey()
    const paired = await fetch(`${phoneUrl}/pair`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: phoneUrl },
      body: JSON.stringify({ secret: new URL(window.url).hash.slice("#pair=".length), name: "served", signing_key: key.publicKey }),
    })
    const cookie = paired.headers.get("set-cookie")!.split(";")[0]!
    const { id: _id, ...browser } = push.subscribe()
    const put = await phoneClient({ base: phoneUrl, cookie, key, extra: { origin: phoneUrl } })("PUT", "/phone/api/push", browser)
    expect(put.status).toBe(201)
    await admin("POST", "/api/agents", { name: "alice" })
    const approval = await admin("POST", "/api/approvals", { agent: "alice", kind: "merge", ref: "!42" })
    await until("the push from hive serve", () => push.received.length === 1)
    expect(push.received[0]!.payload).toMatchObject({ approval: approval.id, title: "alice asks: merge" })
    server.proc.kill("SIGTERM")
    expect(await server.proc.exited).toBe(0)
  }, 30_000)
})
