import type { Database } from "bun:sqlite"
import { Elysia, type AnyElysia } from "elysia"
import { openApiDocument } from "./openapi"
import type { Auth } from "./auth/jwt"
import { DEFAULTS } from "./config"
import { createGroupCommit } from "./db/group-commit"
import { createPulse } from "./pulse"
import type { StreamLimits } from "./routes/events"
import type { Stores } from "./db/stores"
import type { Logger } from "./log"
import type { Vault } from "./secrets/vault"
import { createPairing, type PairingService } from "./auth/pairing"
import { createBlobs } from "./artifacts/blobs"
import type { Config } from "./config"
import { createJobScheduler } from "./jobs"
import type { Keys } from "./secrets/keys"
import type { GroupCommit } from "./db/group-commit"
import { createIngest, type Ingest, type IngestOptions } from "./db/ingest"
import type * as Events from "./db/events"
import type { Pulse } from "./pulse"
import { phone } from "./routes/phone"
import type { Blobs } from "./artifacts/blobs"
import type { StorageDeps } from "./routes/artifacts"
import type { Scheduler } from "./jobs/scheduler"
import { api, guards } from "./routes"
import { health } from "./routes/health"

export type AppDeps = {
  db: Database
  stores: Stores
  auth: Auth
  vault: Vault
  logger: Logger
  version: string
  maxBodyBytes: number
  maxArtifactBytes?: number
  /** Artifact files under the data home. */
  blobs: Blobs
  paths: StorageDeps
  /** Claude Code's folder, where transcripts are found when a session has no recorded path. */
  claudeDir: string
  pairingService: PairingService
  /** Where a phone reaches the phone listener: the tunnel's URL when one is up, else the local listener. */
  phoneBaseUrl: () => string
  deviceTtlMs?: number
  host: string
  streams?: StreamLimits
  scheduler: Scheduler
  /** Where the API may write secrets (HIVE_MATERIALIZE_DIRS). */
  materializeDirs: readonly string[]
}

/** What `prepare` (src/cli/home.ts) gives a command: the open database and what was built over it. */
export type Prepared = { db: Database; stores: Stores; auth: Auth; vault: Vault; keys: Keys }

/** Everything both apps need, from the config and a prepared home: one place, for `hive serve` and the tests. */
export function appDeps(config: Config, p: Prepared, logger: Logger, overrides: Partial<AppDeps> = {}): AppDeps {
  const blobs = createBlobs(config.home)
  return {
    ...p,
    logger,
    version: config.version,
    maxBodyBytes: config.maxBodyBytes,
    maxArtifactBytes: config.maxArtifactBytes,
    blobs,
    paths: { dbPath: config.dbPath, backupsDir: config.backupsDir },
    claudeDir: config.claudeDir,
    pairingService: createPairing(p.keys, p.stores.pairing, p.auth, { deviceTtlMs: config.deviceTtlMs }),
    phoneBaseUrl: () => `http://${config.host}:${config.phonePort}`,
    deviceTtlMs: config.deviceTtlMs,
    host: config.host,
    streams: { heartbeatMs: config.sseHeartbeatMs, maxStreams: config.maxStreams, open: { active: 0 } },
    scheduler: createJobScheduler({ ...p, blobs, jobs: config.jobs, backupsDir: config.backupsDir, logger }),
    materializeDirs: config.materializeDirs,
    ...overrides,
  }
}

/**
 * What both listeners share: one group-commit queue per connection (every write shares its transaction
 * with concurrent ones, whichever listener it came through), one pulse (a phone's stream wakes on an
 * admin write) and the event-batch writer (off the server's thread while batches are heavy).
 */
export type Shared = { commit: GroupCommit; pulse: Pulse; ingest: Ingest }
export function createShared(db: Database, events: Events.Store, ingest: IngestOptions = {}): Shared {
  const commit = createGroupCommit(db)
  return { commit, pulse: createPulse(), ingest: createIngest(db, events, commit, ingest) }
}

/** The admin app (127.0.0.1:7420): /health, /openapi and the whole /api. It does not listen; `hive serve` does. */
export function createAdminApp(deps: AppDeps, shared: Shared = createShared(deps.db, deps.stores.events)) {
  let document: ReturnType<typeof openApiDocument> | undefined
  let self: AnyElysia | undefined
  const app =
    // normalize off: unknown body fields are rejected (400) instead of silently dropped.
    new Elysia({ name: "hive.admin", normalize: false })
      .use(guards(deps))
      // No UI: it would load scripts from a CDN, and hive must work offline. The JSON is the contract.
      .get("/openapi", () => (document ??= openApiDocument(self!, deps.version)), {
        detail: { description: "This document: every route of the admin listener, from the schemas that check its requests.", security: [] },
      })
      .use(health(deps.db, deps.version))
      .use(
        api({
          ...deps.stores,
          commit: shared.commit,
          pulse: shared.pulse,
          ingest: shared.ingest,
          streams: deps.streams ?? { heartbeatMs: DEFAULTS.sseHeartbeatMs, maxStreams: DEFAULTS.maxStreams },
          auth: deps.auth,
          vault: deps.vault,
          logger: deps.logger,
          maxBodyBytes: deps.maxBodyBytes,
          maxArtifactBytes: deps.maxArtifactBytes ?? DEFAULTS.maxArtifactBytes,
          blobs: deps.blobs,
          paths: deps.paths,
          claudeDir: deps.claudeDir,
          pairingService: deps.pairingService,
          phoneBaseUrl: deps.phoneBaseUrl,
          host: deps.host,
          scheduler: deps.scheduler,
          materializeDirs: deps.materializeDirs,
        }),
      )
  self = app
  return app
}

export type AdminApp = ReturnType<typeof createAdminApp>

/**
 * The phone app (127.0.0.1:7421, what the tunnel points at): pairing and the phone API only. Requests through
 * a tunnel arrive from 127.0.0.1 with no forwarding header, so nothing here is trusted for being local.
 */
export function createPhoneApp(deps: AppDeps, { commit, pulse }: Shared) {
  return new Elysia({ name: "hive.phone", normalize: false })
    .use(guards({ ...deps, anyHost: true, publicHost: () => new URL(deps.phoneBaseUrl()).host }))
    .use(health(deps.db, deps.version, { public: true }))
    .use(
      phone({
        pairing: deps.pairingService,
        auth: deps.auth,
        devices: deps.stores.pairing,
        sessions: deps.stores.sessions,
        projects: deps.stores.projects,
        broker: deps.stores.broker,
        events: deps.stores.events,
        commit,
        pulse,
        streams: deps.streams ?? { heartbeatMs: DEFAULTS.sseHeartbeatMs, maxStreams: DEFAULTS.maxStreams },
        deviceTtlMs: deps.deviceTtlMs ?? DEFAULTS.deviceTtlMs,
      }),
    )
}
