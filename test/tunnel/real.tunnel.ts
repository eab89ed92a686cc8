// make test-tunnel: hive's tunnel against the real localtunnel server behind caddy (tls internal), as it is
// deployed, with the phone page in headless Chromium. See real-server.ts for how names resolve.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { launchChromium, PHONE } from "../web/chromium"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN, ROOT, until } from "../helpers"
import { addHost, type RealTunnel, startRealTunnel } from "./real-server"
import { phoneKey } from "../phone-key"

type Status = { status: string; reason: string | null; public_url: string | null; subdomain_source: string | null; reconnects: number }

let rt: RealTunnel
let browser: Browser
let page: Page
let server: Awaited<ReturnType<typeof startServer>>
let env: Record<string, string>
let headers: Record<string, string>
let auth: string

const status = async (): Promise<Status> => JSON.parse((await hive(["tunnel", "status", "--json"], env)).stdout)
const admin = async (method: string, path: string, body?: unknown) =>
  (await (await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).json()) as Record<string, any>

/** `hive serve --tunnel`, its subdomain made to resolve as soon as it has registered; resolves once up. */
async function serve() {
  server = await startServer(["bun", MAIN], env, 15_000, ["--tunnel"])
  const registered = await until("a registration", async () => (await status()).public_url, 20_000)
  addHost(new URL(registered).hostname)
  return until("the tunnel up", async () => ((s) => s.status === "up" && s)(await status()), 20_000)
}

async function stopServer() {
  server.proc.kill("SIGTERM")
  await server.proc.exited
  await server.drained
}

const shot = async (name: string) => {
  mkdirSync(join(ROOT, "test", "artifacts"), { recursive: true })
  await page.screenshot({ path: join(ROOT, "test", "artifacts", `${name}.png`), fullPage: true }).catch(() => {})
}

beforeAll(async () => {
  rt = await startRealTunnel()
  env = { ...cliEnv(), HIVE_TUNNEL_SERVER: rt.url, NODE_EXTRA_CA_CERTS: rt.ca, HIVE_TUNNEL_PROBE_INTERVAL: "1s" }
  headers = { authorization: `Bearer ${(await hive(["token", "create", "--name", "tunnel"], env)).stdout.trim()}`, "content-type": "application/json" }
  await serve()
  browser = await launchChromium(["--host-resolver-rules=MAP *.lt.test 127.0.0.1, MAP lt.test 127.0.0.1"])
  const context = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true })
  page = await context.newPage()
  page.setDefaultTimeout(15_000)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (server) server.proc.kill("SIGKILL")
  await rt?.stop()
})

describe("the tunnel through the real localtunnel server behind caddy", () => {
  test("the QR code's URL pairs headless Chromium through it; events arrive live", async () => {
    const pair = await hive(["pair"], env)
    const url = /open (\S+)/.exec(pair.stdout)![1]!
    expect(url).toMatch(/^https:\/\/hi:[0-9a-f]{32}@hive-[0-9a-f]{12}\.lt\.test:\d+\/#pair=/)
    auth = `Basic ${btoa(`hi:${new URL(url).password}`)}`
    await page.goto(url)
    await page.locator("#live.on").waitFor()
    expect(page.url()).toBe(`${new URL(url).origin}/`)
    const event = await admin("POST", "/api/events", { kind: "tunnel.hello", agent: "bob" })
    await page.getByText(`#${event.id}`).waitFor()
    // Without the tunnel's password the real server refuses, before hive sees anything.
    const bare = await rt.get(`${(await status()).public_url}/health`)
    expect(bare.status).toBe(401)
    await shot("tunnel-real-paired")
    console.log(`tunnel: paired Chromium through the real server behind caddy (${new URL(url).host})`)
  }, 60_000)

  test("the tunnel server killed and restarted 3 times: 502 from caddy, 503 from the server, and the page misses no event", async () => {
    const { public_url: address } = await status()
    const seen = new Set<number>()
    const missed: number[] = []
    for (let trial = 0; trial < 3; trial++) {
      await rt.kill()
      // Caddy has nothing behind it: 502, and the page's stream is gone.
      await until("a 502 from caddy", async () => (await rt.get(`${address}/health`, { headers: { authorization: auth } }).catch(() => null))?.status === 502)
      seen.add(502)
      await page.locator("#live.off").waitFor({ timeout: 20_000 })
      missed.push((await admin("POST", "/api/events", { kind: "during.outage", agent: "alice", payload: { trial } })).id)
      await Bun.sleep(1500)
      await rt.restart()
      // Back, but hive has not registered again yet: the server knows no such tunnel.
      for (let i = 0; i < 200; i++) {
        const s = (await rt.get(`${address}/health`, { headers: { authorization: auth } }).catch(() => null))?.status
        if (s) seen.add(s)
        if (s === 200) break
        await Bun.sleep(25)
      }
      const back = await until("the tunnel up again", async () => ((s) => s.status === "up" && s)(await status()), 30_000)
      expect(back.public_url).toBe(address)
      expect(back.subdomain_source).toBe("install")
      await page.locator("#live.on").waitFor({ timeout: 40_000 })
      for (const id of missed) await page.getByText(`#${id}`).waitFor()
    }
    expect(seen.has(502)).toBe(true)
    expect(seen.has(503)).toBe(true)
    const after = await admin("POST", "/api/events", { kind: "after.outages", agent: "alice" })
    await page.getByText(`#${after.id}`).waitFor()
    // Each missed event is on the page once: replayed from the last one it saw, no gap, no duplicate.
    for (const id of [...missed, after.id]) expect(await page.locator(".event", { hasText: `#${id} ` }).count()).toBe(1)
    console.log(`tunnel: the real server was killed and restarted 3 times (answers seen: ${[...seen].sort().join(", ")}); the page missed no event`)
  }, 240_000)

  test("hive serve restarted at once keeps its address (the server still holds it for a moment): the page carries on", async () => {
    const before = await status()
    await stopServer()
    const again = await serve()
    expect(again.public_url).toBe(before.public_url)
    expect(again.subdomain_source).toBe("install")
    expect(server.log()).not.toContain("using a random one")
    await page.locator("#live.on").waitFor({ timeout: 40_000 })
    const event = await admin("POST", "/api/events", { kind: "after.restart", agent: "alice" })
    await page.getByText(`#${event.id}`).waitFor()
    console.log("tunnel: a quick restart of hive serve kept its subdomain")
  }, 120_000)

  test("20 open streams: the phone listener serves a few and tells the rest to retry; the probe and page loads get through", async () => {
    const { public_url: address, reconnects } = await status()
    const window = await admin("POST", "/api/pairing")
    const paired = await rt.get(`${address}/pair`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json", origin: address! },
      body: JSON.stringify({ secret: new URL(window.url).hash.slice("#pair=".length), name: "streams", signing_key: (await phoneKey()).publicKey }),
    })
    expect(paired.status).toBe(201)
    const cookie = paired.headers.get("set-cookie")!.split(";")[0]!
    const aborts: AbortController[] = []
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const abort = new AbortController()
        aborts.push(abort)
        const res = await rt.get(`${address}/phone/api/events/stream`, { headers: { authorization: auth, cookie }, signal: abort.signal })
        if (res.status !== 200) await res.body?.cancel()
        return { status: res.status, retry: res.headers.get("retry-after") }
      }),
    )
    try {
      const served = answers.filter((a) => a.status === 200).length
      // The page holds one of the phone listener's 6.
      expect(served).toBe(5)
      expect(answers.filter((a) => a.status === 503).every((a) => a.retry === "5")).toBe(true)
      expect(served + answers.filter((a) => a.status === 503).length).toBe(20)
      // Several probe intervals (1 s) pass with the streams open: the tunnel stays up, nothing reconnects.
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now()
        const health = await rt.get(`${address}/health`, { headers: { authorization: auth }, signal: AbortSignal.timeout(5000) })
        expect(health.status).toBe(200)
        expect(performance.now() - t0).toBeLessThan(2000)
        await Bun.sleep(1000)
      }
      expect(await status()).toMatchObject({ status: "up", reconnects })
      const pageLoad = await rt.get(`${address}/`, { headers: { authorization: auth } })
      expect(pageLoad.status).toBe(200)
      console.log(`tunnel: 20 streams opened through the real server: ${served} served, ${20 - served} told to retry; probes and page loads answered`)
    } finally {
      for (const a of aborts) a.abort()
    }
  }, 120_000)
})
