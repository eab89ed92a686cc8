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
export class TunnelKeeper {
  readonly #o: TunnelOptions
  readonly #now: () => number
  readonly #open: typeof localtunnel
  readonly #startTimeoutMs: number
  readonly #probeIntervalMs: number
  readonly #probeTimeoutMs: number
  readonly #backoff: { minMs: number; maxMs: number }
  readonly #auth: string
  #status: TunnelStatus
  #client: Tunnel | null = null
  #running = false
  // Bumped whenever a client is torn down: callbacks of an older client see a stale attempt and do nothing.
  #attempt = 0
  #failures = 0
  // Probes failed in a row while up: one may be a slow moment, two tear the tunnel down.
  #missedProbes = 0
  // Whether the usual subdomain was ours: a 409 right after a reconnect is then most likely the tunnel server
  // still holding our previous registration (it lets go after its sockets close), so wait for it first.
  #heldUsual = false
  #conflicts = 0
  #deadline: ReturnType<typeof setTimeout> | undefined
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(o: TunnelOptions) {
    this.#o = o
    this.#now = o.now ?? Date.now
    this.#open = o.open ?? localtunnel
    this.#startTimeoutMs = o.startTimeoutMs ?? TUNNEL_DEFAULTS.startTimeoutMs
    this.#probeIntervalMs = o.probeIntervalMs ?? TUNNEL_DEFAULTS.probeIntervalMs
    this.#probeTimeoutMs = o.probeTimeoutMs ?? TUNNEL_DEFAULTS.probeTimeoutMs
    this.#backoff = o.backoff ?? TUNNEL_DEFAULTS.backoff
    this.#auth = basicAuth(o.password)
    this.#status = { status: "down", reason: "not started", since: this.#now(), public_url: null, subdomain_source: null, reconnects: 0 }
  }

  start() {
    if (this.#running) return
    this.#running = true
    this.#failures = 0
    this.#connect(false)
  }

  /** Closes the tunnel; the status says "down: stopped". */
  async stop() {
    if (!this.#running) return
    this.#running = false
    const old = this.#client
    this.#teardown()
    this.#set({ status: "down", reason: "stopped" })
    await old?.close().catch(() => {})
  }

  status(): TunnelStatus {
    return this.#status
  }

  /** The public URL with its credentials, for a phone to open; only while up. Never log it. */
  phoneUrl(): string | null {
    return tunnelPhoneUrl(this.#status, () => this.#o.password) ?? null
  }

  #clean(message: string) {
    return redact(message, this.#o.password)
  }

  #set(next: Partial<TunnelStatus> & Pick<TunnelStatus, "status" | "reason">) {
    const status = this.#status
    const changed = next.status !== status.status || next.reason !== status.reason
    this.#status = { ...status, ...next, since: next.status !== status.status ? this.#now() : status.since }
    if (!changed) return
    const { logger, onChange } = this.#o
    if (next.status === "up") logger.info(`tunnel up (subdomain from ${this.#status.subdomain_source})`)
    else if (next.status === "down" && next.reason) logger.warn(`tunnel down: ${next.reason}`)
    else logger.debug(`tunnel ${next.status}${next.reason ? `: ${next.reason}` : ""}`)
    onChange?.(this.#status)
  }

  #later(fn: () => void, ms: number) {
    const t = setTimeout(fn, ms)
    // A tunnel never keeps the process alive by itself: the listeners do, and they stop on a signal.
    t.unref?.()
    return t
  }

  #teardown() {
    this.#attempt++
    clearTimeout(this.#deadline)
    clearTimeout(this.#timer)
    const old = this.#client
    this.#client = null
    // close() cancels a pending registration retry and destroys every socket; it never rejects in practice.
    old?.close().catch(() => {})
  }

  /** Abandons the current client and tries again after a backoff that doubles with each failure in a row. */
  #retry(reason: string) {
    this.#teardown()
    if (!this.#running) return
    const backoff = this.#backoff
    const base = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(this.#failures, 20))
    const delay = Math.round(base * (0.8 + Math.random() * 0.4))
    this.#failures++
    this.#set({ status: "down", reason: `${reason}; retrying in ${Math.max(1, Math.round(delay / 1000))} s` })
    this.#timer = this.#later(() => this.#connect(false), delay)
  }

  #connect(random: boolean) {
    if (!this.#running) return
    const o = this.#o
    const mine = ++this.#attempt
    const current = () => mine === this.#attempt && this.#running
    if (this.#status.subdomain_source !== null) this.#status = { ...this.#status, reconnects: this.#status.reconnects + 1 }
    this.#set({ status: "connecting", reason: null, subdomain_source: random ? "random" : o.subdomainSource, public_url: null })
    const options: LocaltunnelOptions = { port: o.localPort, host: o.server, local_host: o.localHost, auth: o.password }
    if (!random) options.subdomain = o.subdomain
    this.#deadline = this.#later(() => {
      if (current()) this.#retry(`the tunnel did not come up within ${Math.round(this.#startTimeoutMs / 1000)} s (is ${this.#serverName()} reachable?)`)
    }, this.#startTimeoutMs)
    const c = this.#open(options, (err, registered) => {
      if (!current()) return
      if (err || !registered) {
        // The client passes on only a 409 (subdomain taken) or an odd non-200 answer; it retries all else itself.
        const why = this.#clean(err?.message ?? "no answer")
        if (random) return this.#retry(`the tunnel server refused a random subdomain too (${why})`)
        if (this.#heldUsual && this.#conflicts < RECLAIM_TRIES) {
          this.#conflicts++
          return this.#retry(`the tunnel server still holds the previous registration (${why})`)
        }
        o.logger.warn(
          `the tunnel subdomain is taken (${why}); using a random one until the tunnel next reconnects: a phone paired on the usual address must be paired again`,
        )
        this.#teardown()
        return this.#connect(true)
      }
      this.#status = { ...this.#status, public_url: withoutCredentials(registered.url) }
    })
    this.#client = c
    c.on("error", (err: Error) => {
      if (current()) this.#retry(`the tunnel connection failed (${this.#clean(err.message)})`)
    })
    // The first socket to the tunnel server is open: prove the round trip before calling the tunnel up.
    c.once("url", () => {
      if (current()) void this.#probe(mine)
    })
  }

  #serverName() {
    try {
      return new URL(this.#o.server).host
    } catch {
      return "the tunnel server"
    }
  }

  /** A request out through the public URL that must come back in through the tunnel to our own /health. */
  async #probe(mine: number) {
    const url = this.#status.public_url
    let failure: string | null = null
    try {
      if (!url) throw new Error("no public URL")
      const res = await fetch(`${url.replace(/\/$/, "")}/health`, {
        headers: { authorization: this.#auth },
        signal: AbortSignal.timeout(this.#probeTimeoutMs),
        redirect: "manual",
      })
      await res.body?.cancel()
      if (res.status !== 200) failure = `the public URL answered ${res.status}`
    } catch (err) {
      failure = `the public URL did not answer (${this.#clean((err as Error).message)})`
    }
    if (mine !== this.#attempt || !this.#running) return
    const again = (ms: number) => {
      this.#timer = this.#later(() => void this.#probe(mine), ms)
    }
    if (failure === null) {
      clearTimeout(this.#deadline)
      this.#failures = 0
      this.#missedProbes = 0
      this.#conflicts = 0
      if (this.#status.subdomain_source !== "random") this.#heldUsual = true
      this.#set({ status: "up", reason: null })
      again(this.#probeIntervalMs)
    } else if (this.#status.status === "up") {
      if (++this.#missedProbes >= 2) return this.#retry(failure)
      again(Math.min(1000, this.#probeIntervalMs))
    } else {
      // Still starting: the deadline decides; until then, try again shortly.
      this.#status = { ...this.#status, reason: failure }
      again(Math.min(1000, this.#probeIntervalMs))
    }
  }
}

export const createTunnel = (o: TunnelOptions) => new TunnelKeeper(o)
