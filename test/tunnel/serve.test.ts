import { afterEach, expect, setDefaultTimeout, test } from "bun:test"
import { cliEnv, hive, MAIN, until } from "../helpers"
import { startServer } from "../cli/serve-helper"
import { startFakeTunnelServer } from "./fake-server"
import { phoneKey } from "../phone-key"

setDefaultTimeout(60_000)
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

test("hive serve --tunnel: status up, hive pair hands out the tunnel URL, a phone pairs through it; SIGTERM closes it", async () => {
  const fake = await startFakeTunnelServer()
  cleanups.push(() => fake.stop())
  const env = { ...cliEnv(), HIVE_TUNNEL_SERVER: fake.url, HIVE_TUNNEL_PROBE_INTERVAL: "1s" }
  const token = (await hive(["token", "create", "--name", "tunnel-test"], env)).stdout.trim()
  const server = await startServer(["bun", MAIN], env, 15_000, ["--tunnel"])
  cleanups.push(() => server.proc.kill("SIGKILL"))

  const status = await until(
    "hive tunnel status to say up",
    async () => {
      const r = await hive(["tunnel", "status", "--json"], env)
      return r.code === 0 && (JSON.parse(r.stdout) as { status: string; public_url: string })
    },
    20_000,
  )
  expect(status).toMatchObject({ status: "up", subdomain_source: "install", reason: null })
  const [registration] = fake.registrations
  expect(registration!.subdomain).toMatch(/^hive-[0-9a-f]{12}$/)
  const api = await fetch(`${server.url}/api/tunnel`, { headers: { authorization: `Bearer ${token}` } })
  expect(await api.json()).toMatchObject({ status: "up", public_url: status.public_url })
  const human = await hive(["tunnel", "status"], env)
  expect(human.stdout).toContain(`tunnel: up\naddress: ${status.public_url}`)
  expect((await hive(["doctor"], env)).stdout).toMatch(new RegExp(`ok +tunnel +up at ${status.public_url.replaceAll(".", "\\.")} \\(0 reconnect`))

  // The QR code's URL: the tunnel's address with its basic-auth password and the pairing secret.
  const pair = await hive(["pair"], env)
  expect(pair.code).toBe(0)
  const url = new URL(/open (\S+)/.exec(pair.stdout)![1]!)
  expect(`${url.protocol}//${url.host}`).toBe(status.public_url)
  expect(url.username).toBe("hi")
  expect(url.password).toBe(registration!.password!)
  expect(url.hash).toMatch(/^#pair=[\w-]{22}$/)
  const auth = `Basic ${btoa(`${url.username}:${url.password}`)}`
  const page = await fetch(`${status.public_url}/`, { headers: { authorization: auth } })
  expect(page.status).toBe(200)
  expect(page.headers.get("content-type")).toContain("text/html")
  // POST /api/pairing gives the same kind of address (and closes the window `hive pair` opened).
  const opened = await fetch(`${server.url}/api/pairing`, { method: "POST", headers: { authorization: `Bearer ${token}` } })
  const apiUrl = new URL(((await opened.json()) as { url: string }).url)
  expect(apiUrl.href).toStartWith(`http://hi:${registration!.password}@127.0.0.1:`)
  const paired = await fetch(`${status.public_url}/pair`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ secret: apiUrl.hash.slice("#pair=".length), name: "phone via tunnel", signing_key: (await phoneKey()).publicKey }),
  })
  expect(paired.status).toBe(201)
  expect((await hive(["devices", "list"], env)).stdout).toContain("phone via tunnel")

  server.proc.kill("SIGTERM")
  expect(await server.proc.exited).toBe(0)
  await server.drained
  const after = await hive(["tunnel", "status"], env)
  expect(after.code).toBe(1)
  expect(after.stdout).toContain("tunnel: down (no tunnel")
  expect((await hive(["doctor"], env)).stdout).not.toMatch(/^\S+ +tunnel /m) // not wanted, not running: nothing to say
  // Nothing the server logged carries the password.
  expect(server.log()).toContain("opening a tunnel to the phone listener via 127.0.0.1:")
  expect(server.log()).toContain("tunnel up")
  expect(server.log()).not.toContain(registration!.password!)
})

test("a bad tunnel.subdomain preference: the server serves on, and the status says why", async () => {
  const env = { ...cliEnv(), HIVE_TUNNEL_SERVER: "http://127.0.0.1:9" }
  const token = (await hive(["token", "create", "--name", "t"], env)).stdout.trim()
  const server = await startServer(["bun", MAIN], env, 15_000, ["--tunnel"])
  cleanups.push(() => server.proc.kill("SIGKILL"))
  const put = await fetch(`${server.url}/api/preferences/tunnel.subdomain`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ value: "NOT valid" }),
  })
  expect(put.status).toBe(200)
  server.proc.kill("SIGTERM")
  await server.proc.exited
  const again = await startServer(["bun", MAIN], env, 15_000, ["--tunnel"])
  cleanups.push(() => again.proc.kill("SIGKILL"))
  const r = await hive(["tunnel", "status"], env)
  expect(r.code).toBe(1)
  expect(r.stdout).toContain("tunnel: down (the tunnel.subdomain preference must be")
  expect((await fetch(`${again.url}/health`)).status).toBe(200)
  for (const bad of [["tunnel"], ["tunnel", "frob"], ["tunnel", "status", "extra"]]) {
    const res = await hive(bad, env)
    expect(res.code, bad.join(" ")).toBe(2)
  }
  expect((await hive(["serve", "--tunnel"], { ...env, HIVE_TUNNEL_SERVER: "ftp://x" })).stderr).toContain("HIVE_TUNNEL_SERVER must be")
})
