import localtunnel, { type LocaltunnelOptions, type Tunnel } from "@desplega.ai/localtunnel"
import type { Logger } from "../log"
import { basicAuth, redact, withoutCredentials } from "./identity"
import type { SubdomainSource, TunnelStatus } from "../db/tunnel"
import { tunnelPhoneUrl } from "./settings"

export type TunnelOptions = {
  /** The tunnel server (https://lt.desplega.ai). */
  server: string
  /** The phone listener, which the tunnel forwards to. */
  localHost: string
  localPort: number
  subdomain: string
  subdomainSource: Exclude<SubdomainSource, "random">
  /** The tunnel's basic-auth password (user "hi"): hex, so it never holds a ":". */
  password: string
  logger: Logger
  /** Every change of status, e.g. to keep it where `hive tunnel status` can read it. */
  onChange?: (status: TunnelStatus) => void
  /** Registration plus the first successful probe must finish within this, or the attempt is abandoned. */
  startTimeoutMs?: number
  probeIntervalMs?: number
  probeTimeoutMs?: number
  backoff?: { minMs: number; maxMs: number }
  now?: () => number
  /** The localtunnel client; the real one unless a caller has reason to pass another. */
  open?: typeof localtunnel
}

/** Attempts to take the usual subdomain back after a reconnect before settling for a random one. */
const RECLAIM_TRIES = 3

export const TUNNEL_DEFAULTS = { startTimeoutMs: 20_000, probeIntervalMs: 30_000, probeTimeoutMs: 10_000, backoff: { minMs: 1000, maxMs: 60_000 } }

/**
 * Keeps a localtunnel to the phone listener up. The client library retries registration forever, throws on
 * an `error` nobody listens to, and never reconnects once the tunnel server has lost it; so every attempt
 * here has a deadline, errors are listened for, the public URL is probed periodically (a request that must
 * come back through the tunnel to our own /health), and any failure tears the client down and re-creates it
 * with exponential backoff. A taken subdomain (409) falls back to a random one, once per attempt (after a
 * reconnect, only once the tunnel server has had a few seconds to let go of our previous registration).
 */
export function createTunnel(o: TunnelOptions) {
  const now = o.now ?? Date.now
  const open = o.open ?? localtunnel
  const startTimeoutMs = o.startTimeoutMs ?? TUNNEL_DEFAULTS.startTimeoutMs
  const probeIntervalMs = o.probeIntervalMs ?? TUNNEL_DEFAULTS.probeIntervalMs
  const probeTimeoutMs = o.probeTimeoutMs ?? TUNNEL_DEFAULTS.probeTimeoutMs
  const backoff = o.backoff ?? TUNNEL_DEFAULTS.backoff
  const auth = basicAuth(o.password)
  const clean = (message: string) => redact(message, o.password)

  let status: TunnelStatus = { status: "down", reason: "not started", since: now(), public_url: null, subdomain_source: null, reconnects: 0 }
  let client: Tunnel | null = null
  let running = false
  // Bumped whenever a client is torn down: callbacks of an older client see a stale attempt and do nothing.
  let attempt = 0
  let failures = 0
  // Probes failed in a row while up: one may be a slow moment, two tear the tunnel down.
  let missedProbes = 0
  // Whether the usual subdomain was ours: a 409 right after a reconnect is then most likely the tunnel server
  // still holding our previous registration (it lets go after its sockets close), so wait for it first.
  let heldUsual = false
  let conflicts = 0
  let deadline: ReturnType<typeof setTimeout> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  function set(next: Partial<TunnelStatus> & Pick<TunnelStatus, "status" | "reason">) {
    const changed = next.status !== status.status || next.reason !== status.reason
    status = { ...status, ...next, since: next.status !== status.status ? now() : status.since }
    if (!changed) return
    if (next.status === "up") o.logger.info(`tunnel up (subdomain from ${status.subdomain_source})`)
    else if (next.status === "down" && next.reason) o.logger.warn(`tunnel down: ${next.reason}`)
    else o.logger.debug(`tunnel ${next.status}${next.reason ? `: ${next.reason}` : ""}`)
    o.onChange?.(status)
  }

  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(fn, ms)
    // A tunnel never keeps the process alive by itself: the listeners do, and they stop on a signal.
    t.unref?.()
    return t
  }

  function teardown() {
    attempt++
    clearTimeout(deadline)
    clearTimeout(timer)
    const old = client
    client = null
    // close() cancels a pending registration retry and destroys every socket; it never rejects in practice.
    old?.close().catch(() => {})
  }

  /** Abandons the current client and tries again after a backoff that doubles with each failure in a row. */
  function retry(reason: string) {
    teardown()
    if (!running) return
    const base = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(failures, 20))
    const delay = Math.round(base * (0.8 + Math.random() * 0.4))
    failures++
    set({ status: "down", reason: `${reason}; retrying in ${Math.max(1, Math.round(delay / 1000))} s` })
    timer = later(() => connect(false), delay)
  }

  function connect(random: boolean) {
    if (!running) return
    const mine = ++attempt
    const current = () => mine === attempt && running
    if (status.subdomain_source !== null) status = { ...status, reconnects: status.reconnects + 1 }
    set({ status: "connecting", reason: null, subdomain_source: random ? "random" : o.subdomainSource, public_url: null })
    const options: LocaltunnelOptions = { port: o.localPort, host: o.server, local_host: o.localHost, auth: o.password }
    if (!random) options.subdomain = o.subdomain
    deadline = later(() => {
      if (current()) retry(`the tunnel did not come up within ${Math.round(startTimeoutMs / 1000)} s (is ${serverName()} reachable?)`)
    }, startTimeoutMs)
    const c = open(options, (err, registered) => {
      if (!current()) return
      if (err || !registered) {
        // The client passes on only a 409 (subdomain taken) or an odd non-200 answer; it retries all else itself.
        const why = clean(err?.message ?? "no answer")
        if (random) return retry(`the tunnel server refused a random subdomain too (${why})`)
        if (heldUsual && conflicts < RECLAIM_TRIES) {
          conflicts++
          return retry(`the tunnel server still holds the previous registration (${why})`)
        }
        o.logger.warn(
          `the tunnel subdomain is taken (${why}); using a random one until the tunnel next reconnects: a phone paired on the usual address must be paired again`,
        )
        teardown()
        return connect(true)
      }
      status = { ...status, public_url: withoutCredentials(registered.url) }
    })
    client = c
    c.on("error", (err: Error) => {
      if (current()) retry(`the tunnel connection failed (${clean(err.message)})`)
    })
    // The first socket to the tunnel server is open: prove the round trip before calling the tunnel up.
    c.once("url", () => {
      if (current()) void probe(mine)
    })
  }

  function serverName() {
    try {
      return new URL(o.server).host
    } catch {
      return "the tunnel server"
    }
  }

  /** A request out through the public URL that must come back in through the tunnel to our own /health. */
  async function probe(mine: number) {
    const url = status.public_url
    let failure: string | null = null
    try {
      if (!url) throw new Error("no public URL")
      const res = await fetch(`${url.replace(/\/$/, "")}/health`, {
        headers: { authorization: auth },
        signal: AbortSignal.timeout(probeTimeoutMs),
        redirect: "manual",
      })
      await res.body?.cancel()
      if (res.status !== 200) failure = `the public URL answered ${res.status}`
    } catch (err) {
      failure = `the public URL did not answer (${clean((err as Error).message)})`
    }
    if (mine !== attempt || !running) return
    if (failure === null) {
      clearTimeout(deadline)
      failures = 0
      missedProbes = 0
      conflicts = 0
      if (status.subdomain_source !== "random") heldUsual = true
      set({ status: "up", reason: null })
      timer = later(() => void probe(mine), probeIntervalMs)
    } else if (status.status === "up") {
      if (++missedProbes >= 2) return retry(failure)
      timer = later(() => void probe(mine), Math.min(1000, probeIntervalMs))
    } else {
      // Still starting: the deadline decides; until then, try again shortly.
      status = { ...status, reason: failure }
      timer = later(() => void probe(mine), Math.min(1000, probeIntervalMs))
    }
  }

  return {
    start() {
      if (running) return
      running = true
      failures = 0
      connect(false)
    },
    /** Closes the tunnel; the status says "down: stopped". */
    async stop() {
      if (!running) return
      running = false
      const old = client
      teardown()
      set({ status: "down", reason: "stopped" })
      await old?.close().catch(() => {})
    },
    status: (): TunnelStatus => status,
    /** The public URL with its credentials, for a phone to open; only while up. Never log it. */
    phoneUrl: (): string | null => tunnelPhoneUrl(status, () => o.password) ?? null,
  }
}

export type TunnelKeeper = ReturnType<typeof createTunnel>
