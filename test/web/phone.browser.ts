// make test-browser: the phone page in headless Chromium at a phone's size, against a real `hive serve`.
import { afterAll, expect, test } from "bun:test"
import { copyFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { launchChromium, PHONE } from "./chromium"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN, ROOT, tempDir, until } from "../helpers"
import { startFakeTunnelServer } from "../tunnel/fake-server"

let browser: Browser | undefined
afterAll(async () => void (await browser?.close()))

/** A phone-sized browser context (one browser for the file). */
async function phoneContext() {
  browser ??= await launchChromium()
  return browser.newContext(PHONE)
}

type Admin = (method: string, path: string, body?: unknown) => Promise<Record<string, any>>

/**
 * One phone-sized page against a real `hive serve` (with `serveArgs`): `body` gets the page, an admin API
 * caller and the environment. A failure leaves a screenshot under test/artifacts/; the server always stops.
 */
async function onPhone(name: string, env: Record<string, string>, serveArgs: string[], body: (page: Page, admin: Admin) => Promise<void>) {
  const token = (await hive(["token", "create", "--name", "browser"], env)).stdout.trim()
  const server = await startServer(["bun", MAIN], env, 15_000, serveArgs)
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  const admin: Admin = async (method, path, payload) =>
    (await (await fetch(`${server.url}${path}`, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) })).json()) as Record<
      string,
      any
    >
  let page: Page | undefined
  try {
    page = await (await phoneContext()).newPage()
    page.setDefaultTimeout(10_000)
    await body(page, admin)
  } catch (err) {
    if (page) {
      const dir = join(ROOT, "test", "artifacts")
      mkdirSync(dir, { recursive: true })
      await page.screenshot({ path: join(dir, `${name}-failure-${Date.now()}.png`), fullPage: true }).catch(() => {})
    }
    throw err
  } finally {
    server.proc.kill("SIGTERM")
    await server.proc.exited
  }
}

test("pair with the page at 375 px, approve an approval, answer a question, see a new event arrive live", async () => {
  await onPhone("phone", cliEnv(), [], async (page, call) => {
    const project = await call("POST", "/api/projects", { name: "shop", directory: "/shop" })
    await call("POST", "/api/sessions", { project_id: project.id, label: "checkout-work", status: "running" })
    await call("POST", "/api/agents", { name: "alice" })
    const approval = await call("POST", "/api/approvals", { agent: "alice", kind: "apply_commit", ref: "a1b2c3d" })
    const question = await call("POST", "/api/questions", { asker: "alice", question: "Deploy to staging?", options: ["yes", "not yet"] })
    const pairing = await call("POST", "/api/pairing")

    await page.goto(pairing.url)
    await page.locator(".approval").waitFor()
    expect(page.url()).not.toContain("#pair") // the secret leaves the address bar
    const cookies = await page.context().cookies()
    expect(cookies.find((c) => c.name === "hive_device")).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict" })
    // The key the phone signs its changes with stays in the browser: IndexedDB holds it, not extractable.
    const stored = await page.evaluate(`new Promise((resolve) => {
      const open = indexedDB.open("hive", 1)
      open.onsuccess = () => {
        const get = open.result.transaction("keys").objectStore("keys").get("device")
        get.onsuccess = () => resolve({ extractable: get.result.privateKey.extractable, curve: get.result.privateKey.algorithm.namedCurve })
      }
    })`)
    expect(stored).toEqual({ extractable: false, curve: "P-256" })
    expect(await page.locator("#sessions").textContent()).toContain("shop")
    expect(await page.locator("#sessions").textContent()).toContain("checkout-work")

    // Readable at 375 px: no horizontal scroll, touch targets at least 44 px tall.
    // The callback runs in the page (a string, so this file needs no DOM types).
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375)
    const heights = await page
      .locator("button:visible")
      .evaluateAll((bs) => bs.map((b) => (b as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect().height))
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(44)

    // By its accessible name, as a screen reader finds it.
    await page.getByLabel("note").fill("looks good from the train")
    // One tap only arms it (a stray tap decides nothing); the second, within 4 s, approves.
    await page.getByRole("button", { name: "Approve" }).tap()
    await page.getByRole("button", { name: "Tap again: Approve" }).waitFor()
    expect(await call("GET", `/api/approvals/${approval.id}`)).toMatchObject({ status: "pending" })
    await page.getByRole("button", { name: "Tap again: Approve" }).tap()
    await page.getByText("nothing to approve").waitFor()
    expect(await call("GET", `/api/approvals/${approval.id}`)).toMatchObject({ status: "approved", resolution_note: "looks good from the train" })

    await page.locator(".question").getByRole("button", { name: "not yet" }).tap()
    await page.locator(".question").getByRole("button", { name: "Tap again: not yet" }).tap()
    await page.getByText("no open questions").waitFor()
    expect(await call("GET", `/api/questions/${question.id}`)).toMatchObject({ status: "answered", answer: "not yet" })

    await page.locator("#live.on").waitFor()
    const event = await call("POST", "/api/events", { kind: "deploy.finished", agent: "alice" })
    await page.getByText(`#${event.id}`).waitFor()
    expect(await page.locator("#events").textContent()).toContain("alice deploy.finished")
    console.log("browser: paired at 375 px, approved, answered, saw a live event; no horizontal scroll, touch targets >= 44 px")
  })
}, 120_000)

test("through the tunnel: the QR code's URL (tunnel password and pairing secret) pairs the phone, and events arrive live", async () => {
  const fake = await startFakeTunnelServer()
  const env = { ...cliEnv(), HIVE_TUNNEL_SERVER: fake.url, HIVE_TUNNEL_PROBE_INTERVAL: "1s" }
  await onPhone("tunnel", env, ["--tunnel"], async (page, admin) => {
    await until("the tunnel to come up", async () => (await hive(["tunnel", "status"], env)).code === 0, 15_000)
    const pair = await hive(["pair"], env)
    const url = /open (\S+)/.exec(pair.stdout)![1]!
    expect(url).toMatch(/^http:\/\/hi:[0-9a-f]{32}@127\.0\.0\.1:\d+\/#pair=/)
    await page.goto(url)
    await page.locator("#live.on").waitFor()
    // The address bar keeps neither the tunnel's password nor the pairing secret.
    expect(page.url()).toBe(`${new URL(url).origin}/`)
    const event = await admin("POST", "/api/events", { kind: "tunnel.hello", agent: "bob" })
    await page.getByText(`#${event.id}`).waitFor()
    expect(await page.locator("#events").textContent()).toContain("bob tunnel.hello")
    // Named as a person would (not "ios"), and renamed from the page.
    expect((await hive(["devices", "list"], env)).stdout).toMatch(/iPhone\s+ios/)
    await page.getByLabel("this phone's name").fill("Ana's phone")
    await page.getByRole("button", { name: "Rename" }).click()
    await until("the new name", async () => (await hive(["devices", "list"], env)).stdout.includes("Ana's phone"))
    console.log("browser: paired through the tunnel from the QR code's URL (basic auth + pairing secret); live events arrive")
  }).finally(() => fake.stop())
}, 120_000)

/**
 * What stands between a phone and hive in production (the tunnel server, its TLS proxy), reduced to what
 * matters here: it forwards to the phone listener, and while `down` it drops every open stream and answers
 * 503 "Tunnel Unavailable", as the real tunnel server does for a client it lost.
 */
function flakyProxy(upstream: string) {
  let down = false
  const open = new Set<AbortController>()
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      if (down) return new Response("Tunnel Unavailable", { status: 503 })
      const url = new URL(req.url)
      const abort = new AbortController()
      open.add(abort)
      // As the tunnel does, the page's own origin is the server's: the listener sees its own Host and Origin.
      const headers = new Headers(req.headers)
      headers.delete("host")
      if (headers.has("origin")) headers.set("origin", upstream)
      // An outage aborts requests still waiting on hive: the phone gets what the tunnel then answers, a 503.
      // (Left to throw, the abort would surface in whichever test runs next, as an unhandled AbortError.)
      let res: Response
      try {
        res = await fetch(`${upstream}${url.pathname}${url.search}`, {
          method: req.method,
          headers,
          body: req.method === "GET" ? undefined : await req.arrayBuffer(),
          signal: abort.signal,
          redirect: "manual",
        })
      } catch {
        open.delete(abort)
        return new Response("Tunnel Unavailable", { status: 503 })
      }
      if (!res.body) return new Response(null, { status: res.status, headers: res.headers })
      const reader = res.body.getReader()
      // Dropped (aborted) upstream: the phone's connection just ends, as when a tunnel socket closes.
      const body = new ReadableStream({
        async pull(controller) {
          try {
            const { value, done } = await reader.read()
            if (done) controller.close()
            else controller.enqueue(value)
          } catch {
            controller.close()
          }
        },
      })
      return new Response(body, { status: res.status, headers: res.headers })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    setDown(value: boolean) {
      down = value
      if (value) for (const a of open) a.abort()
      open.clear()
    },
    stop: () => server.stop(true),
  }
}

test("after a 503 outage the page opens its stream again by itself and replays what it missed", async () => {
  await onPhone("outage", cliEnv(), [], async (page, call) => {
    const pairing = await call("POST", "/api/pairing")
    const listener = new URL(pairing.url)
    const proxy = flakyProxy(listener.origin)
    try {
      await page.goto(`${proxy.url}/${listener.hash}`)
      await page.locator("#live.on").waitFor()
      const before = await call("POST", "/api/events", { kind: "before.outage", agent: "alice" })
      await page.getByText(`#${before.id}`).waitFor()

      // EventSource closes for good on an answer that is not a stream: the page must open it again itself.
      proxy.setDown(true)
      await page.locator("#live.off").waitFor()
      expect(await page.locator("#live").textContent()).toContain("offline: retrying in")
      mkdirSync(join(ROOT, "test", "artifacts"), { recursive: true })
      await page.emulateMedia({ colorScheme: "dark" })
      await page.screenshot({ path: join(ROOT, "test", "artifacts", "phone-offline-dark.png") })
      await page.emulateMedia({ colorScheme: "light" })
      const missed = await call("POST", "/api/events", { kind: "during.outage", agent: "alice" })
      await call("POST", "/api/agents", { name: "alice" })
      await call("POST", "/api/approvals", { agent: "alice", kind: "deploy", ref: "v2" })
      // Still down after the first retry: the page keeps trying, further apart.
      await Bun.sleep(1500)
      proxy.setDown(false)

      await page.locator("#live.on").waitFor({ timeout: 20_000 })
      // Replayed from the last event it saw (no gap, no duplicate), and the lists read again.
      await page.getByText(`#${missed.id}`).waitFor()
      expect(await page.locator(".event", { hasText: `#${before.id} ` }).count()).toBe(1)
      await page.locator(".approval", { hasText: "v2" }).waitFor()
      console.log("browser: a 503 outage closed the stream; the page reopened it with backoff and replayed the missed event")
    } finally {
      proxy.stop()
    }
  })
}, 120_000)

test("installable, with a service worker: a push shows the approval with Approve and Deny, and Approve works from the notification", async () => {
  await onPhone("push", cliEnv(), [], async (page, call) => {
    await call("POST", "/api/agents", { name: "alice" })
    const approval = await call("POST", "/api/approvals", { agent: "alice", kind: "deploy", ref: "v3" })
    const pairing = await call("POST", "/api/pairing")
    const origin = new URL(pairing.url).origin
    await page.context().grantPermissions(["notifications"], { origin })
    await page.goto(pairing.url)
    await page.locator(".approval").waitFor()
    // Installable: a manifest with a name, a start URL, standalone display and an icon the listener serves.
    const manifest = (await page.evaluate(`fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())`)) as {
      name: string
      start_url: string
      display: string
      icons: { src: string }[]
    }
    expect(manifest).toMatchObject({ name: "hive", start_url: "/", display: "standalone" })
    // Every icon it names is served: the SVG, and the PNGs at 192 and 512 px (what iOS and installers take).
    const icons = await page.evaluate(
      `Promise.all(${JSON.stringify(manifest.icons.map((i) => i.src))}.map((src) => fetch(src).then((r) => r.status + " " + r.headers.get("content-type"))))`,
    )
    expect(icons).toEqual(["200 image/svg+xml", "200 image/png", "200 image/png"])
    // The worker is registered and controls the page's scope.
    const scope = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    expect(scope).toBe(`${origin}/`)
    // Offline here, Chromium's push service (FCM) is out of reach, so the page cannot subscribe: it says so.
    await page.locator("#push-state").filter({ hasText: "Notifications: off" }).waitFor()
    await page.getByRole("button", { name: "Turn on" }).tap()
    await page.locator("#push-error").filter({ hasText: /\S/ }).waitFor()

    // A push as the push service delivers it, into the real worker (DevTools' deliverPushMessage).
    const cdp = await page.context().newCDPSession(page)
    await cdp.send("ServiceWorker.enable")
    const registrationId = await new Promise<string>((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", (e: { registrations: { registrationId: string; scopeURL: string }[] }) => {
        const r = e.registrations.find((x) => x.scopeURL === `${origin}/`)
        if (r) resolve(r.registrationId)
      })
    })
    const payload = { title: "alice asks: deploy", body: "v3", tag: `approval-${approval.id}`, path: `/#approval=${approval.id}`, approval: approval.id }
    await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(payload) })
    const [worker] = page.context().serviceWorkers()
    const shown = await until("the notification", async () => {
      const list = (await worker!.evaluate(
        "self.registration.getNotifications().then((ns) => ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.action) })))",
      )) as { title: string; body: string; tag: string; actions: string[] }[]
      return list.length > 0 && list
    })
    expect(shown).toEqual([{ title: "alice asks: deploy", body: "v3", tag: `approval-${approval.id}`, actions: ["approve", "deny"] }])

    // Its Approve button, as the system would press it: a notificationclick with that action, in the worker.
    await worker!.evaluate(
      `self.registration.getNotifications().then(([n]) => self.dispatchEvent(new NotificationEvent("notificationclick", { notification: n, action: "approve" })))`,
    )
    await until("approved from the notification", async () => (await call("GET", `/api/approvals/${approval.id}`)).status === "approved")
    expect(await call("GET", `/api/approvals/${approval.id}`)).toMatchObject({ resolution_note: "from the phone's notification" })
    await page.getByText("nothing to approve").waitFor({ timeout: 15_000 })
    await page.screenshot({ path: join(ROOT, "test", "artifacts", "phone-push.png"), fullPage: true })
    console.log("browser: installable page with a service worker; a delivered push shows Approve and Deny; Approve from the notification approved it")
  })
}, 120_000)

test("a session opens to its transcript and events; a message goes to an agent; resolved approvals are listed", async () => {
  await onPhone("session-view", cliEnv(), [], async (page, call) => {
    const dir = tempDir("hive-browser-transcript-")
    const transcript = join(dir, "t.jsonl")
    copyFileSync(join(ROOT, "test/fixtures/claude-code/run-a/transcript.jsonl"), transcript)
    const session = await call("POST", "/api/sessions", { agent_session_id: "cc-browser", label: "greeter", status: "running", transcript_path: transcript })
    await call("POST", "/api/events", { kind: "claude.PostToolUse", session_id: session.id, payload: { tool_name: "Bash" } })
    await call("POST", "/api/agents", { name: "alice" })
    const settled = await call("POST", "/api/approvals", { agent: "alice", kind: "deploy", ref: "v1" })
    await call("POST", `/api/approvals/${settled.id}/resolve`, { status: "denied", note: "not today" })
    const pairing = await call("POST", "/api/pairing")
    await page.goto(pairing.url)
    await page.locator("#live.on").waitFor()

    await page.getByRole("button", { name: "greeter" }).tap()
    await page.locator("#session-view .turn").first().waitFor()
    expect(await page.locator("#session-title").textContent()).toBe("greeter")
    // The fixture's run: the prompt, the Bash call, Claude's answer.
    const turns = await page.locator("#transcript .turn").allTextContents()
    expect(turns.some((t) => t.startsWith("Claude"))).toBe(true)
    expect(turns.some((t) => t.includes("→ Bash"))).toBe(true)
    expect(await page.locator("#session-events").textContent()).toContain("claude.PostToolUse")
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375)
    await page.screenshot({ path: join(ROOT, "test", "artifacts", "phone-session.png"), fullPage: true })
    // Live: a new event of the session appears in the open view.
    const later = await call("POST", "/api/events", { kind: "claude.Stop", session_id: session.id })
    await page.locator("#session-events").getByText(`#${later.id}`).waitFor()
    await page.getByRole("button", { name: "‹ Back" }).tap()
    await page.locator("#sessions").waitFor()

    await page.getByLabel("agent to message").selectOption("alice")
    await page.getByLabel("message to send").fill("rebase on main first")
    await page.locator("#message-form").getByRole("button", { name: "Send" }).tap()
    await page.getByText("sent to alice").waitFor()
    const inbox = await call("GET", "/api/messages/inbox/alice")
    expect(inbox.items.map((m: { sender: string; body: string }) => [m.sender, m.body])).toContainEqual(["operator", "rebase on main first"])

    await page.getByText("Resolved approvals").tap()
    await page.locator("#resolved").getByText("denied · deploy: v1").waitFor()
    expect(await page.locator("#resolved").textContent()).toContain("not today")
    // A notification's link opens the session directly.
    await page.goto(`${new URL(pairing.url).origin}/#session=${session.id}`)
    await page.locator("#session-view .turn").first().waitFor()
    console.log("browser: a session's transcript and events on the phone, live; a message sent to an agent; resolved approvals listed")
  })
}, 120_000)
