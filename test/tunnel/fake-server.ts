import { createServer as createHttpServer, type Server as HttpServer } from "node:http"
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net"

/**
 * A localtunnel server small enough to read, on 127.0.0.1 only, so the tunnel is tested end to end with no
 * internet. The protocol is the real one: `GET /?new` or `GET /<subdomain>` (with `username`/`password`
 * for basic auth) answers `{id, port, url, max_conn_count}`; the client then opens TCP sockets to `port`, and
 * each public connection is spliced onto one of them. A subdomain already held answers 409.
 *
 * Like the real server, a client whose tunnel sockets have all closed is let go about a second later (its
 * subdomain 409s until then). Differences from the real server, all on purpose: each client gets its own
 * public port instead of a Host-based subdomain (no DNS needed), a public connection carries one request
 * (so each is checked), and a request with no free socket is answered 504 after 5 s instead of waiting for
 * ever. `make test-tunnel` runs hive against the real server for what this one leaves out.
 */
export type FakeTunnelServer = Awaited<ReturnType<typeof startFakeTunnelServer>>

type Client = {
  id: string
  password: string | null
  tunnels: NetServer
  publicServer: NetServer
  idle: Socket[]
  waiting: ((s: Socket) => void)[]
  sockets: Set<Socket>
  publics: Set<Socket>
  tunnelCount: number
}

const SUBDOMAIN = /^(?:[a-z0-9][a-z0-9-]{4,61}[a-z0-9]|[a-z0-9]{4,63})$/
const listen = (server: NetServer | HttpServer, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port))
  })
const closeServer = (server: NetServer | HttpServer) => new Promise<void>((resolve) => server.close(() => resolve()))

export async function startFakeTunnelServer(opts: { maxConn?: number; port?: number } = {}) {
  const maxConn = opts.maxConn ?? 4
  const clients = new Map<string, Client>()
  /** Every registration, as the client asked for it: what a test checks (subdomain, username, password). */
  const registrations: { path: string; subdomain: string | null; username: string | null; password: string | null; status: number }[] = []
  /** Subdomains that answer 409 as if someone else held them. */
  const taken = new Set<string>()
  /** Every registration answers 409, random ones included. */
  const state = { refuseAll: false }
  let registrar: HttpServer | null = null
  let port = opts.port ?? 0

  async function register(path: string, query: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const requested = path === "/" ? null : path.slice(1)
    const record = { path, subdomain: requested, username: query.get("username"), password: query.get("password"), status: 200 }
    registrations.push(record)
    if (requested !== null && !SUBDOMAIN.test(requested)) return { status: (record.status = 403), body: { message: "Invalid subdomain" } }
    if (state.refuseAll || (requested !== null && (taken.has(requested) || clients.has(requested))))
      return { status: (record.status = 409), body: { message: `Subdomain ${requested ?? "(random)"} is in use` } }
    const id = requested ?? `rnd${Math.random().toString(36).slice(2, 10)}`
    const client: Client = {
      id,
      password: record.password,
      tunnels: createNetServer(),
      publicServer: createNetServer(),
      idle: [],
      waiting: [],
      sockets: new Set(),
      publics: new Set(),
      tunnelCount: 0,
    }
    client.tunnels.on("connection", (socket) => {
      client.sockets.add(socket)
      client.tunnelCount++
      socket.on("error", () => {})
      socket.once("close", () => {
        client.sockets.delete(socket)
        client.idle = client.idle.filter((s) => s !== socket)
        if (--client.tunnelCount === 0) setTimeout(() => client.tunnelCount === 0 && clients.get(id) === client && void release(client), 1000)
      })
      const next = client.waiting.shift()
      if (next) next(socket)
      else client.idle.push(socket)
    })
    client.publicServer.on("connection", (pub) => serve(client, pub))
    const tunnelPort = await listen(client.tunnels)
    const publicPort = await listen(client.publicServer)
    clients.set(id, client)
    return { status: 200, body: { id, port: tunnelPort, max_conn_count: maxConn, url: `http://127.0.0.1:${publicPort}` } }
  }

  /** One public connection: check basic auth on its first request, then splice it onto an idle tunnel socket. */
  function serve(client: Client, pub: Socket) {
    client.sockets.add(pub)
    client.publics.add(pub)
    pub.on("error", () => {})
    pub.once("close", () => {
      client.sockets.delete(pub)
      client.publics.delete(pub)
    })
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf("\r\n\r\n")
      if (end < 0) return
      pub.off("data", onData)
      pub.pause()
      const auth = /\r\nauthorization: *([^\r\n]*)/i.exec(head.subarray(0, end).toString("latin1"))?.[1]
      const expected = client.password === null ? null : `Basic ${Buffer.from(`hi:${client.password}`).toString("base64")}`
      if (expected !== null && auth !== expected) {
        pub.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="tunnel"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        return
      }
      // One request per public connection, so basic auth is checked on every request: the request asks the
      // local server to close after answering, and the public connection goes with it.
      const [requestHead, ...rest] = [head.subarray(0, end).toString("latin1"), head.subarray(end)]
      const forwarded = Buffer.concat([Buffer.from(`${requestHead.replace(/\r\nconnection:[^\r\n]*/gi, "")}\r\nConnection: close`, "latin1"), ...rest])
      const splice = (tunnel: Socket) => {
        tunnel.write(forwarded)
        tunnel.pipe(pub)
        pub.pipe(tunnel)
        pub.resume()
        const both = () => {
          tunnel.destroy()
          pub.destroy()
        }
        tunnel.once("close", both)
        pub.once("close", both)
      }
      const idle = client.idle.shift()
      if (idle) return splice(idle)
      // No tunnel socket free: wait a little for the client to open one, as the real server does.
      const waiter = (s: Socket) => {
        clearTimeout(giveUp)
        splice(s)
      }
      const giveUp = setTimeout(() => {
        client.waiting = client.waiting.filter((w) => w !== waiter)
        pub.end("HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
      }, 5000)
      client.waiting.push(waiter)
    }
    pub.on("data", onData)
  }

  /** Lets a client go: its subdomain is free again. */
  async function release(c: Client) {
    clients.delete(c.id)
    for (const s of c.sockets) s.destroy()
    await Promise.all([closeServer(c.tunnels), closeServer(c.publicServer)])
  }

  async function start() {
    registrar = createHttpServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://fake")
      register(url.pathname, url.searchParams).then(
        ({ status, body }) => {
          res.writeHead(status, { "content-type": "application/json" })
          res.end(JSON.stringify(body))
        },
        (err) => {
          res.writeHead(500)
          res.end(String(err))
        },
      )
    })
    port = await listen(registrar, port)
  }

  /** Forgets every client and closes every socket and port: the tunnel server dying (its address stays). */
  async function stop() {
    const all = [...clients.values()]
    clients.clear()
    for (const c of all) for (const s of c.sockets) s.destroy()
    const r = registrar
    registrar = null
    r?.closeAllConnections()
    await Promise.all([...all.flatMap((c) => [closeServer(c.tunnels), closeServer(c.publicServer)]), r ? closeServer(r) : Promise.resolve()])
  }

  await start()
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    registrations,
    taken,
    get refuseAll() {
      return state.refuseAll
    },
    set refuseAll(v: boolean) {
      state.refuseAll = v
    },
    /** The public address of a registered client (no credentials), as its registration answered. */
    client: (id: string) => clients.get(id),
    clientIds: () => [...clients.keys()],
    /** Tunnel sockets a client has open to us right now. */
    openTunnels: (id: string) => clients.get(id)?.idle.length ?? 0,
    /** Loses one client while its tunnel sockets stay connected (the client library never notices this). */
    async forget(id: string) {
      const c = clients.get(id)
      if (!c) return
      clients.delete(id)
      for (const s of c.publics) s.destroy()
      await closeServer(c.publicServer)
    },
    stop,
    /** Comes back on the same address, knowing no client: a hive must register again by itself. */
    restart: start,
  }
}
