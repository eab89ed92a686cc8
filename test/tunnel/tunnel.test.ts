import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test"
import { createServer } from "node:net"
import { createLogger, silentLogger } from "../../src/log"
import { processAlive } from "../../src/process"
import { basicAuth, redact, tunnelIdentity, withCredentials, withoutCredentials } from "../../src/tunnel/identity"
import { createTunnel, type TunnelKeeper } from "../../src/tunnel/keeper"
import { serveTunnel } from "../../src/tunnel"
import { describeTunnel, INSTALL_SECRET, tunnelEnabled, tunnelSettings } from "../../src/tunnel/settings"
import { mkdirSync } from "node:fs"
import { migrations } from "../../migrations"
import { migrationEnv } from "../../src/cli/home"
import { apply } from "../../src/db/migrate"
import { open } from "../../src/db/open"
import { isolatedConfig, testApp, until } from "../helpers"
import { startFakeTunnelServer, type FakeTunnelServer } from "./fake-server"
import { phoneKey } from "../phone-key"

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

/** The real phone listener on a free port, a fake tunnel server, and a keeper between them (short timings). */
async function setup(opts: { server?: string; fake?: FakeTunnelServer | null; startTimeoutMs?: number; reclaimIntervalMs?: number } = {}) {
  const lines: string[] = []
  const logger = createLogger("debug", (l) => lines.push(l))
  const t = await testApp({ logger })
  const listener = t.phone.listen({ port: 0, hostname: "127.0.0.1" })
  cleanups.push(() => listener.server?.stop(true))
  const fake = opts.fake === undefined ? await startFakeTunnelServer() : opts.fake
  if (fake) cleanups.push(() => fake.stop())
  const settings = tunnelSettings(opts.server ?? fake!.url, t.stores.preferences, t.vault)
  const tunnel: TunnelKeeper = createTunnel({
    ...settings,
    localHost: "127.0.0.1",
    localPort: listener.server!.port!,
    logger,
    onChange: (s) => t.stores.tunnel.save(process.pid, s),
    startTimeoutMs: opts.startTimeoutMs ?? 5000,
    probeIntervalMs: 200,
    probeTimeoutMs: 1000,
    backoff: { minMs: 100, maxMs: 400 },
    usualClaimMs: 1500,
    reclaimIntervalMs: opts.reclaimIntervalMs ?? 60_000,
  })
  cleanups.push(() => tunnel.stop())
  const up = (timeoutMs = 10_000) => until("the tunnel to be up", () => tunnel.status().status === "up" && tunnel.status(), timeoutMs)
  /** A request from "the internet": to the public URL, with the tunnel's basic auth unless told otherwise. */
  const publicFetch = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const { auth = basicAuth(settings.password), ...rest } = init
    const headers = new Headers(rest.headers)
    if (auth) headers.set("authorization", auth)
    return fetch(`${tunnel.status().public_url}${path}`, { ...rest, headers, signal: AbortSignal.timeout(5000) })
  }
  return { ...t, lines, fake: fake!, settings, tunnel, up, publicFetch }
}

describe("the tunnel, through a fake localtunnel server", () => {
  setDefaultTimeout(30_000)

  test("registers the install's subdomain with basic auth; the phone listener answers through it, auth required", async () => {
    const { tunnel, fake, settings, up, publicFetch, stores, vault, call } = await setup()
    expect((await call("GET", "/api/tunnel")).body.status).toBe("down")
    tunnel.start()
    const status = await up()
    const { subdomain, password } = tunnelIdentity(vault.ownSecret(INSTALL_SECRET))
    expect(settings).toMatchObject({ subdomain, password, subdomainSource: "install" })
    expect(subdomain).toMatch(/^hive-[0-9a-f]{12}$/)
    expect(password).toMatch(/^[0-9a-f]{32}$/)
    expect(fake.registrations).toEqual([{ path: `/${subdomain}`, subdomain, username: "hi", password, status: 200 }])
    expect(status).toMatchObject({ reason: null, subdomain_source: "install", reconnects: 0 })
    expect(status.public_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    expect((await publicFetch("/health", { auth: null })).status).toBe(401)
    expect((await publicFetch("/health", { auth: basicAuth("wrong") })).status).toBe(401)
    const res = await publicFetch("/health")
    expect(res.status).toBe(200)
    // Public: it says it is up, and nothing an attacker could use (no version, no schema).
    expect(await res.json()).toEqual({ status: "ok" })
    // Only the phone listener is behind the tunnel: the admin API is not there.
    expect((await publicFetch("/api/projects")).status).toBe(404)

    // What `hive tunnel status` and GET /api/tunnel read: the row the serving process keeps.
    expect(describeTunnel(stores.tunnel.get(), processAlive)).toMatchObject({ status: "up", public_url: status.public_url })
    expect((await call("GET", "/api/tunnel")).body).toMatchObject({ status: "up", public_url: status.public_url, subdomain_source: "install" })
    expect(JSON.stringify((await call("GET", "/api/tunnel")).body)).not.toContain(password)

    // POST /api/pairing hands out the tunnel's address, credentials included, once the tunnel is up.
    expect(tunnel.phoneUrl()).toBe(withCredentials(status.public_url!, password))
    await tunnel.stop()
    expect(tunnel.status()).toMatchObject({ status: "down", reason: "stopped" })
    expect(tunnel.phoneUrl()).toBeNull()
  })

  test("a phone pairs and follows the live event stream through the tunnel", async () => {
    const { tunnel, up, publicFetch, call } = await setup()
    tunnel.start()
    await up()
    const w = (await call("POST", "/api/pairing")).body as { code: string }
    const paired = await publicFetch("/pair", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: w.code, name: "pixel", signing_key: (await phoneKey()).publicKey }),
    })
    expect(paired.status).toBe(201)
    const cookie = paired.headers.get("set-cookie")!.split(";")[0]!

    const stream = await publicFetch("/phone/api/events/stream", { headers: { cookie, accept: "text/event-stream" } })
    expect(stream.status).toBe(200)
    expect(stream.headers.get("content-type")).toContain("text/event-stream")
    const reader = stream.body!.getReader()
    const posted = await call("POST", "/api/events", { kind: "test.through-tunnel", payload: { n: 1 } })
    expect(posted.status).toBe(201)
    let text = ""
    const deadline = Date.now() + 5000
    while (!text.includes("test.through-tunnel") && Date.now() < deadline) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    await reader.cancel()
    expect(text).toContain("test.through-tunnel")
    expect(text).toMatch(/^id: \d+$/m)
  })

  test("the tunnel server dies and comes back: hive re-registers by itself, on the same subdomain", async () => {
    const { tunnel, fake, up, publicFetch, settings } = await setup()
    tunnel.start()
    await up()
    await fake.stop()
    const down = await until("the tunnel to notice", () => tunnel.status().status !== "up" && tunnel.status())
    expect(down.status).not.toBe("up")
    // While the server is away, each attempt fails (start timeout or refused) and is retried with backoff.
    await Bun.sleep(500)
    expect(tunnel.status().status).not.toBe("up")
    await fake.restart()
    const again = await up(15_000)
    expect(again.reconnects).toBeGreaterThan(0)
    expect(fake.clientIds()).toEqual([settings.subdomain])
    expect((await publicFetch("/health")).status).toBe(200)
  })

  test("a server that loses the client while its sockets stay open is caught by the probe", async () => {
    const { tunnel, fake, up, publicFetch, settings, lines } = await setup()
    tunnel.start()
    const first = await up()
    await fake.forget(settings.subdomain)
    await until("the probe to fail", () => tunnel.status().status !== "up")
    const second = await up()
    expect(second.public_url).not.toBe(first.public_url)
    expect(fake.registrations.filter((r) => r.subdomain === settings.subdomain && r.status === 200)).toHaveLength(2)
    expect((await publicFetch("/health")).status).toBe(200)
    expect(lines.join("")).toContain("the public URL did not answer")
  })

  test("a taken subdomain (409) is retried for a while, then a random one is used, and said so", async () => {
    const { tunnel, fake, up, publicFetch, settings, lines, stores } = await setup()
    fake.taken.add(settings.subdomain)
    tunnel.start()
    // While the usual name is refused, the status says why (for `hive tunnel status`, another process).
    const waiting = await until("the status to say why", () => stores.tunnel.get()?.reason?.includes("still holds") && stores.tunnel.get())
    expect(waiting).toMatchObject({ status: "connecting", reason: expect.stringContaining(`the tunnel server still holds ${settings.subdomain}`) })
    const status = await up()
    expect(status.subdomain_source).toBe("random")
    const statuses = fake.registrations.map((r) => r.status)
    // About a try a second for usualClaimMs (1.5 s here), then the random one.
    expect(statuses.slice(0, -1).every((s) => s === 409)).toBe(true)
    expect(statuses.length).toBeGreaterThanOrEqual(3)
    expect(fake.registrations.at(-1)).toMatchObject({ path: "/", subdomain: null, password: settings.password, status: 200 })
    expect(lines.join("")).toContain("the tunnel subdomain is taken")
    expect((await publicFetch("/health")).status).toBe(200)
    // A reconnect tries the usual one first again.
    fake.taken.delete(settings.subdomain)
    const [randomId] = fake.clientIds()
    await fake.forget(randomId!)
    await until("the usual subdomain", () => tunnel.status().status === "up" && tunnel.status().subdomain_source === "install", 10_000)
    expect(fake.clientIds()).toEqual([settings.subdomain])
  })

  test("on a random subdomain, the usual one is tried again beside it and the tunnel moves back once it is free", async () => {
    const { tunnel, fake, up, publicFetch, settings, lines } = await setup({ reclaimIntervalMs: 300 })
    fake.taken.add(settings.subdomain)
    tunnel.start()
    const random = await up()
    expect(random.subdomain_source).toBe("random")
    // Still taken: the tries fail quietly and the random tunnel stays up.
    await until("two tries to win it back", () => fake.registrations.filter((r) => r.subdomain === settings.subdomain).length >= 4)
    expect(tunnel.status()).toMatchObject({ status: "up", subdomain_source: "random" })
    expect((await publicFetch("/health")).status).toBe(200)
    fake.taken.delete(settings.subdomain)
    const back = await until(
      "the usual subdomain again",
      () => tunnel.status().status === "up" && tunnel.status().subdomain_source === "install" && tunnel.status(),
      10_000,
    )
    expect(back.public_url).not.toBe(random.public_url)
    expect(lines.join("")).toContain("the usual tunnel subdomain is free again")
    // The random registration is let go.
    await until("only the usual client", () => JSON.stringify(fake.clientIds()) === JSON.stringify([settings.subdomain]))
    expect((await publicFetch("/health")).status).toBe(200)
  })

  test("after a reconnect, a 409 on the usual subdomain is waited out (the server still holding our old registration), not abandoned", async () => {
    const { tunnel, fake, up, settings } = await setup()
    tunnel.start()
    await up()
    fake.taken.add(settings.subdomain) // as if the server had not yet let go of us
    await fake.forget(settings.subdomain)
    await until("a 409 on the way back", () => fake.registrations.some((r) => r.status === 409))
    fake.taken.delete(settings.subdomain)
    expect((await up()).subdomain_source).toBe("install")
    expect(fake.registrations.filter((r) => r.subdomain === null)).toEqual([])
  })

  test("both subdomains refused: down with the reason, retried, the usual one first again", async () => {
    const { tunnel, fake, up, settings } = await setup()
    fake.refuseAll = true
    tunnel.start()
    const down = await until("a 409 on the fallback too", () => tunnel.status().status === "down" && tunnel.status())
    expect(down.reason).toContain("refused a random subdomain too")
    expect(down.reason).toContain("retrying in")
    const first = fake.registrations.findIndex((r) => r.subdomain === null)
    expect(fake.registrations[first]!.status).toBe(409)
    expect(fake.registrations.slice(0, first).every((r) => r.subdomain === settings.subdomain && r.status === 409)).toBe(true)
    fake.refuseAll = false
    expect((await up()).subdomain_source).toBe("install")
  })

  test("a tunnel server that never answers: down after the start timeout, retried until it appears", async () => {
    const port = await freePort()
    const { tunnel, up, lines, settings } = await setup({ server: `http://127.0.0.1:${port}`, fake: null, startTimeoutMs: 600 })
    tunnel.start()
    const down = await until("the start timeout", () => tunnel.status().status === "down" && tunnel.status())
    expect(down.reason).toContain("did not come up within")
    expect(down.reason).toContain("retrying in")
    const fake = await startFakeTunnelServer({ port })
    cleanups.push(() => fake.stop())
    await up(15_000)
    expect(fake.clientIds()).toEqual([settings.subdomain])
    expect(lines.join("")).toContain("tunnel down: the tunnel did not come up within")
  })

  test("neither the password nor a credentialed URL ever reaches a log line or the status", async () => {
    const { tunnel, fake, up, settings, lines, stores } = await setup()
    fake.taken.add(settings.subdomain)
    tunnel.start()
    await up()
    await fake.stop()
    await until("down", () => tunnel.status().status !== "up")
    await fake.restart()
    await up(15_000)
    await tunnel.stop()
    const everything = lines.join("") + JSON.stringify(stores.tunnel.get())
    expect(lines.length).toBeGreaterThan(3)
    expect(everything).not.toContain(settings.password)
    expect(everything).not.toMatch(/\/\/[^/\s]*:[^/\s]*@/)
  })

  test("a custom subdomain comes from the tunnel.subdomain preference; a bad one is a clear error", async () => {
    const t = await testApp()
    t.stores.preferences.put("tunnel.subdomain", "my-phone-hive")
    expect(tunnelSettings("https://lt.example", t.stores.preferences, t.vault)).toMatchObject({ subdomain: "my-phone-hive", subdomainSource: "preference" })
    for (const bad of ["UPPER", "a", "-leading", "has space", 42, "x".repeat(64)]) {
      t.stores.preferences.put("tunnel.subdomain", bad)
      expect(() => tunnelSettings("https://lt.example", t.stores.preferences, t.vault)).toThrow("tunnel.subdomain preference")
    }
    // The install secret is made once and kept: the same address after a restart.
    t.stores.preferences.remove("tunnel.subdomain")
    const a = tunnelSettings("https://lt.example", t.stores.preferences, t.vault)
    const b = tunnelSettings("https://lt.example", t.stores.preferences, t.vault)
    expect(a).toEqual(b)
    expect(t.vault.secretMeta(INSTALL_SECRET).size).toBe(32)
  })

  test("the older app's preference tunnel: { enabled, subdomain } is read when hive's own keys are not set", async () => {
    const t = await testApp()
    const prefs = t.stores.preferences
    expect(tunnelEnabled(false, prefs)).toBe(false)
    prefs.put("tunnel", { enabled: true, subdomain: "old-app-name" })
    expect(tunnelEnabled(false, prefs)).toBe(true)
    expect(tunnelSettings("https://lt.example", prefs, t.vault)).toMatchObject({ subdomain: "old-app-name", subdomainSource: "preference" })
    // hive's own keys win; a legacy subdomain that is no valid name is passed over, not fatal.
    prefs.put("tunnel.enabled", false)
    expect(tunnelEnabled(false, prefs)).toBe(false)
    prefs.put("tunnel", { enabled: true, subdomain: "Not Valid" })
    expect(tunnelSettings("https://lt.example", prefs, t.vault).subdomainSource).toBe("install")
  })

  test("migration 030 turns an imported tunnel: { enabled, subdomain } into hive's own keys; keys already set win", async () => {
    const convert = async (legacy: unknown, own: Record<string, unknown> = {}) => {
      const config = isolatedConfig()
      mkdirSync(config.home, { recursive: true })
      const db = open(config.dbPath)
      const env = migrationEnv(db, config)
      await apply(db, migrations.slice(0, 29), { env })
      const put = db.query("INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, 1)")
      put.run("tunnel", JSON.stringify(legacy))
      for (const [k, v] of Object.entries(own)) put.run(k, JSON.stringify(v))
      await apply(db, migrations, { env })
      const prefs = Object.fromEntries(
        db
          .query<{ key: string; value: string }, []>("SELECT key, value FROM preferences WHERE key LIKE 'tunnel%' ORDER BY key")
          .all()
          .map((r) => [r.key, JSON.parse(r.value)]),
      )
      db.close()
      return prefs
    }
    expect(await convert({ enabled: true, subdomain: "old-app-name" })).toEqual({
      tunnel: { enabled: true, subdomain: "old-app-name" },
      "tunnel.enabled": true,
      "tunnel.subdomain": "old-app-name",
    })
    expect(await convert({ enabled: true, subdomain: "Not A Name" }, { "tunnel.enabled": false })).toEqual({
      tunnel: { enabled: true, subdomain: "Not A Name" },
      "tunnel.enabled": false,
    })
    expect(await convert(["odd"])).toEqual({ tunnel: ["odd"] })
  })

  test("credentials are added for the phone and stripped everywhere else", () => {
    expect(withCredentials("https://hive-abc.lt.example", "00ff")).toBe("https://hi:00ff@hive-abc.lt.example")
    expect(withoutCredentials("https://hi:00ff@hive-abc.lt.example/")).toBe("https://hive-abc.lt.example")
    expect(redact("GET https://hi:s3cret@x.example failed; s3cret", "s3cret")).toBe("GET https://***@x.example failed; ***")
  })
})

describe("serveTunnel: what hive serve runs", () => {
  test("the tunnel.enabled preference turns it on without the flag; off, nothing runs and a stale row is cleared", async () => {
    const t = await testApp()
    const fake = await startFakeTunnelServer()
    cleanups.push(() => fake.stop())
    const listener = t.phone.listen({ port: 0, hostname: "127.0.0.1" })
    cleanups.push(() => listener.server?.stop(true))
    const run = (flag: boolean) =>
      serveTunnel({
        flag,
        config: { server: fake.url, probeIntervalMs: 200 },
        stores: t.stores,
        vault: t.vault,
        logger: silentLogger,
        localHost: "127.0.0.1",
        localPort: listener.server!.port!,
      })

    // A row left by a server that was killed (its pid is gone) is not shown as the current status.
    t.stores.tunnel.save(2 ** 22 + 12345, {
      status: "up",
      reason: null,
      since: 1,
      public_url: "http://gone.example",
      subdomain_source: "install",
      reconnects: 0,
    })
    expect(await run(false)).toBeNull()
    expect(t.stores.tunnel.get()).toBeNull()
    expect(fake.registrations).toEqual([])

    t.stores.preferences.put("tunnel.enabled", true)
    const keeper = (await run(false))!
    cleanups.push(() => keeper.stop())
    await until("up", () => keeper.status().status === "up", 10_000)
    expect(t.stores.tunnel.get()).toMatchObject({ pid: process.pid, status: "up" })
  })
})
