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
  /** How long a 409 for the usual subdomain is retried before a random one is taken (the server frees a name ~1 s after its last socket closes). */
  usualClaimMs?: number
  /** While on a random subdomain, how often the usual one is tried again, beside the tunnel that is up. */
  reclaimIntervalMs?: number
  now?: () => number
  /** The localtunnel client; the real one unless a caller has reason to pass another. */
  open?: typeof localtunnel
}

export const TUNNEL_DEFAULTS = {
  startTimeoutMs: 20_000,
  probeIntervalMs: 30_000,
  probeTimeoutMs: 10_000,
  backoff: { minMs: 1000, maxMs: 60_000 },
  usualClaimMs: 8000,
  reclaimIntervalMs: 30_000,
}

/** Between two tries for a subdomain the server still holds. */
const CLAIM_RETRY_MS = 1000

/**
 * The client library parses the server's address with `url.parse()`, which prints a deprecation warning on
 * the terminal; nothing else of hive's is affected, so only that one is kept quiet.
 */
function quietUrlParseWarning() {
  const emit = process.emitWarning
  if ((emit as { hiveQuiet?: boolean }).hiveQuiet) return
  const quiet = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: unknown }).code : rest[1]
    if (code === "DEP0169") return
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest)
  }
  Object.assign(quiet, { hiveQuiet: true })
  process.emitWarning = quiet as typeof process.emitWarning
}

/**
 * Keeps a localtunnel to the phone listener up. The client library retries registration forever, throws on
 * an `error` nobody listens to, and never reconnects once the tunnel server has lost it; so every attempt
 * here has a deadline, errors are listened for, the public URL is probed periodically (a request that must
 * come back through the tunnel to our own /health), and any failure tears the client down and re-creates it
 * with exponential backoff. A 409 for the usual subdomain is most often the tunnel server still holding our
 * own previous registration (a restart, a reconnect: it lets go about a second after the last socket
 * closes), so it is retried for `usualClaimMs` before a random subdomain is taken; on a random one, the
 * usual one is tried again every `reclaimIntervalMs` beside the tunnel that is up, and taken over once won,
 * because phones paired on the usual address cannot reach a random one.
 */
export class TunnelKeeper {
  readonly #o: TunnelOptions
  readonly #now: () => number
  readonly #open: typeof localtunnel
  readonly #startTimeoutMs: number
  readonly #probeIntervalMs: number
  readonly #probeTimeoutMs: number
  readonly #backoff: { minMs: number; maxMs: number }
  readonly #usualClaimMs: number
  readonly #reclaimIntervalMs: number
  readonly #auth: string
  #status: TunnelStatus
  #client: Tunnel | null = null
  #running = false
  // Bumped whenever a client is torn down: callbacks of an older client see a stale attempt and do nothing.
  #attempt = 0
  #failures = 0
  // Probes failed in a row while up: one may be a slow moment, two tear the tunnel down.
  #missedProbes = 0
  // Whether the tunnel was up since the last attempt began: only then is a new attempt a reconnect.
  #upSinceBegin = false
  // When the usual subdomain was first refused (409) in this run of refusals; null once it is ours.
  #conflictSince: number | null = null
  // A client trying the usual subdomain while the tunnel is up on a random one.
  #reclaimer: Tunnel | null = null
  #deadline: ReturnType<typeof setTimeout> | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #reclaimTimer: ReturnType<typeof setTimeout> | undefined

  constructor(o: TunnelOptions) {
    this.#o = o
    this.#now = o.now ?? Date.now
    this.#open = o.open ?? localtunnel
    this.#startTimeoutMs = o.startTimeoutMs ?? TUNNEL_DEFAULTS.startTimeoutMs
    this.#probeIntervalMs = o.probeIntervalMs ?? TUNNEL_DEFAULTS.probeIntervalMs
    this.#probeTimeoutMs = o.probeTimeoutMs ?? TUNNEL_DEFAULTS.probeTimeoutMs
    this.#backoff = o.backoff ?? TUNNEL_DEFAULTS.backoff
    this.#usualClaimMs = o.usualClaimMs ?? TUNNEL_DEFAULTS.usualClaimMs
    this.#reclaimIntervalMs = o.reclaimIntervalMs ?? TUNNEL_DEFAULTS.reclaimIntervalMs
    this.#auth = basicAuth(o.password)
    this.#status = { status: "down", reason: "not started", since: this.#now(), public_url: null, subdomain_source: null, reconnects: 0 }
  }

  start() {
    if (this.#running) return
    if (!this.#o.open) quietUrlParseWarning()
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
    const changed = (Object.keys(next) as (keyof TunnelStatus)[]).some((k) => next[k] !== status[k])
    this.#status = { ...status, ...next, since: next.status !== status.status ? this.#now() : status.since }
    if (!changed) return
    const { logger, onChange } = this.#o
    if (next.status !== status.status || next.reason !== status.reason) {
      if (next.status === "up") logger.info(`tunnel up (subdomain from ${this.#status.subdomain_source})`)
      else if (next.status === "down" && next.reason) logger.warn(`tunnel down: ${next.reason}`)
      else logger.debug(`tunnel ${next.status}${next.reason ? `: ${next.reason}` : ""}`)
    }
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
    clearTimeout(this.#reclaimTimer)
    const old = this.#client
    const reclaimer = this.#reclaimer
    this.#client = null
    this.#reclaimer = null
    // close() cancels a pending registration retry and destroys every socket; it never rejects in practice.
    old?.close().catch(() => {})
    reclaimer?.close().catch(() => {})
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

  #options(random: boolean): LocaltunnelOptions {
    const o = this.#o
    const options: LocaltunnelOptions = { port: o.localPort, host: o.server, local_host: o.localHost, auth: o.password }
    if (!random) options.subdomain = o.subdomain
    return options
  }

  /** A new attempt: "connecting", with a deadline for registration and the first probe. */
  #begin(random: boolean): number {
    const mine = ++this.#attempt
    if (this.#upSinceBegin) this.#status = { ...this.#status, reconnects: this.#status.reconnects + 1 }
    this.#upSinceBegin = false
    this.#set({ status: "connecting", reason: null, subdomain_source: random ? "random" : this.#o.subdomainSource, public_url: null })
    this.#deadline = this.#later(() => {
      if (mine === this.#attempt && this.#running)
        this.#retry(`the tunnel did not come up within ${Math.round(this.#startTimeoutMs / 1000)} s (is ${this.#serverName()} reachable?)`)
    }, this.#startTimeoutMs)
    return mine
  }

  /** Follows a registered client: its errors tear it down, its first open socket starts the probes. */
  #watch(c: Tunnel, mine: number) {
    this.#client = c
    const current = () => mine === this.#attempt && this.#running
    c.on("error", (err: Error) => {
      if (current()) this.#retry(`the tunnel connection failed (${this.#clean(err.message)})`)
    })
    // The first socket to the tunnel server is open: prove the round trip before calling the tunnel up.
    c.once("url", () => {
      if (current()) void this.#probe(mine)
    })
  }

  #registered(c: Tunnel) {
    const url = withoutCredentials(c.url)
    this.#set({ status: "connecting", reason: `registered at ${url}; proving the round trip`, public_url: url })
  }

  #connect(random: boolean) {
    if (!this.#running) return
    const mine = this.#begin(random)
    const current = () => mine === this.#attempt && this.#running
    const c = this.#open(this.#options(random), (err, registered) => {
      if (!current()) return
      if (!err && registered) return this.#registered(registered)
      // The client passes on only a 409 (subdomain taken) or an odd non-200 answer; it retries all else itself.
      const why = this.#clean(err?.message ?? "no answer")
      if (random) return this.#retry(`the tunnel server refused a random subdomain too (${why})`)
      this.#conflictSince ??= this.#now()
      if (this.#now() - this.#conflictSince < this.#usualClaimMs) {
        // Most likely our own previous registration (a restart, a reconnect), freed in about a second.
        this.#teardown()
        this.#set({ status: "connecting", reason: `the tunnel server still holds ${this.#o.subdomain} (${why}); trying again` })
        this.#timer = this.#later(() => this.#connect(false), CLAIM_RETRY_MS)
        return
      }
      this.#conflictSince = null
      this.#o.logger.warn(
        `the tunnel subdomain is taken (${why}); using a random one and trying the usual one again every ${Math.round(this.#reclaimIntervalMs / 1000)} s: a phone paired on the usual address cannot reach the random one`,
      )
      this.#teardown()
      this.#connect(true)
    })
    this.#watch(c, mine)
  }

  /** On a random subdomain: tries the usual one beside it, and moves over to it once it is won. */
  #scheduleReclaim() {
    clearTimeout(this.#reclaimTimer)
    this.#reclaimTimer = this.#later(() => {
      if (!this.#running || this.#status.subdomain_source !== "random" || this.#reclaimer) return
      const c = this.#open(this.#options(false), (err, registered) => {
        if (this.#reclaimer !== c) return void c.close().catch(() => {})
        if (err || !registered) {
          this.#reclaimer = null
          void c.close().catch(() => {})
          this.#o.logger.debug(`the usual tunnel subdomain is still taken (${this.#clean(err?.message ?? "no answer")})`)
          return this.#scheduleReclaim()
        }
        this.#reclaimer = null
        this.#o.logger.info("the usual tunnel subdomain is free again: moving the tunnel back to it")
        this.#teardown()
        const mine = this.#begin(false)
        this.#registered(registered)
        this.#watch(registered, mine)
      })
      this.#reclaimer = c
      // A failing try says nothing about the tunnel that is up.
      c.on("error", () => {
        if (this.#reclaimer !== c) return
        this.#reclaimer = null
        void c.close().catch(() => {})
        this.#scheduleReclaim()
      })
    }, this.#reclaimIntervalMs)
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
      const wasUp = this.#status.status === "up"
      this.#upSinceBegin = true
      if (this.#status.subdomain_source !== "random") this.#conflictSince = null
      this.#set({ status: "up", reason: null })
      if (!wasUp && this.#status.subdomain_source === "random") this.#scheduleReclaim()
      again(this.#probeIntervalMs)
    } else if (this.#status.status === "up") {
      if (++this.#missedProbes >= 2) return this.#retry(failure)
      again(Math.min(1000, this.#probeIntervalMs))
    } else {
      // Still starting: the deadline decides; until then, try again shortly (and say why, for `hive tunnel status`).
      this.#set({ status: "connecting", reason: failure })
      again(Math.min(1000, this.#probeIntervalMs))
    }
  }
}

export const createTunnel = (o: TunnelOptions) => new TunnelKeeper(o)
