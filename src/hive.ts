import type { Database } from "bun:sqlite"
import { createBlobs, type Blobs } from "./artifacts/blobs"
import type { Auth } from "./auth/jwt"
import { createPairing, type PairingService } from "./auth/pairing"
import type { Config } from "./config"
import { createGroupCommit, type GroupCommit } from "./db/group-commit"
import { createIngest, type Ingest, type IngestOptions } from "./db/ingest"
import type { Stores } from "./db/stores"
import { createJobScheduler } from "./jobs"
import type { Scheduler } from "./jobs/scheduler"
import type { Logger } from "./log"
import { createNotifier, type Notifier } from "./notify"
import { createPulse, type Pulse } from "./pulse"
import type { Keys } from "./secrets/keys"
import type { OAuthTokens } from "./secrets/oauth"
import type { Vault } from "./secrets/vault"

/** Event streams: how often they beat, how many may be open, and what ends them. */
export type StreamLimits = {
  heartbeatMs: number
  /** Open streams at once, over both listeners. */
  maxStreams: number
  /** Ends every stream (graceful shutdown would otherwise wait on them). */
  shutdown?: AbortSignal
  /** The count of open streams, shared by both listeners so `maxStreams` is one cap. */
  open?: { active: number }
  /** The phone listener's own cap (it reaches the phone through the tunnel's few sockets), and its count. */
  phone?: StreamCap
}

/** A cap on open streams and their count. */
export type StreamCap = { max: number; open: { active: number } }

/** Serves one MCP request for an agent; `handle` is the admin app itself, which each tool calls as that agent. */
export type McpHandler = (o: {
  request: Request
  body: unknown
  agent: string
  authorization: string
  handle: (r: Request) => Promise<Response>
  /** How often a waiting tool reports progress. */
  progressMs: number
}) => Promise<Response>

/** What `prepare` (src/cli/home.ts) gives a command: the open database and what was built over it. */
export type Prepared = { db: Database; stores: Stores; auth: Auth; vault: Vault; oauth: OAuthTokens; keys: Keys }

/**
 * Everything hive is made of, built once in a fixed order and handed out whole to the two apps, and in parts
 * (`Pick<Hive, …>`) to each route plugin. A new dependency is one field here and one line in `createHive`.
 */
export type Hive = Prepared & {
  config: Config
  logger: Logger
  /** Every write shares its transaction with concurrent ones, whichever listener it came through. */
  commit: GroupCommit
  /** Wakes event streams (and long polls) on a write; a phone's stream wakes on an admin write. */
  pulse: Pulse
  /** The event-batch writer, off the server's thread while batches are heavy. */
  ingest: Ingest
  /** Artifact files under the data home. */
  blobs: Blobs
  pairing: PairingService
  scheduler: Scheduler
  /** Event streams: heartbeat, the one cap over both listeners, and the signal that ends them all. */
  streams: StreamLimits
  /** Where a phone reaches the phone listener: the tunnel's URL while one is up, else the listener itself. */
  phoneBaseUrl: () => string
  /** Tells the operator what calls for them (Web Push, the webhook); started by `hive serve`. */
  notifier: Notifier
  /** The MCP endpoint's handler (src/mcp/http.ts), given by whoever serves it; none: `/mcp` answers 404. */
  mcp?: McpHandler
}

export type HiveOptions = {
  phoneBaseUrl?: () => string
  mcp?: McpHandler
  /** Aborted when `hive serve` stops: every live stream ends. */
  shutdown?: AbortSignal
  ingest?: IngestOptions
}

/** The composition root: `hive serve` and the tests build hive here, and nowhere else. */
export function createHive(config: Config, prepared: Prepared, logger: Logger, opts: HiveOptions = {}): Hive {
  const { db, stores, keys, auth } = prepared
  const pulse = createPulse()
  // Every committed write of the API wakes what waits for a change (streams, long polls) at once.
  const commit = createGroupCommit(db, undefined, () => pulse.notify())
  const blobs = createBlobs(config.home)
  const phoneBaseUrl = opts.phoneBaseUrl ?? (() => `http://${config.host}:${config.phonePort}`)
  return {
    ...prepared,
    config,
    logger,
    commit,
    pulse,
    ingest: createIngest(db, stores.events, commit, { logger, ...opts.ingest }),
    blobs,
    pairing: createPairing(keys, stores.pairing, auth, { deviceTtlMs: config.deviceTtlMs }),
    scheduler: createJobScheduler({ ...prepared, blobs, jobs: config.jobs, backupsDir: config.backupsDir, logger }),
    streams: {
      heartbeatMs: config.sseHeartbeatMs,
      maxStreams: config.maxStreams,
      shutdown: opts.shutdown,
      open: { active: 0 },
      phone: { max: config.phoneMaxStreams, open: { active: 0 } },
    },
    phoneBaseUrl,
    notifier: createNotifier({ stores, vault: prepared.vault, pulse, commit, logger, phoneBaseUrl }),
    mcp: opts.mcp,
  }
}
