import type { Database } from "bun:sqlite"
import { openapi } from "@elysiajs/openapi"
import { Elysia } from "elysia"
import type { Auth } from "./auth/jwt"
import { DEFAULTS } from "./config"
import { createGroupCommit } from "./db/group-commit"
import { createPulse } from "./pulse"
import type { StreamLimits } from "./routes/events"
import type { Stores } from "./db/stores"
import type { Logger } from "./log"
import type { Vault } from "./secrets/vault"
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
  host: string
  streams?: StreamLimits
  scheduler: Scheduler
}

/** The admin app (127.0.0.1:7420): /health, /openapi and the whole /api. It does not listen; `hive serve` does. */
export function createAdminApp(deps: AppDeps) {
  return (
    // normalize off: unknown body fields are rejected (400) instead of silently dropped.
    new Elysia({ name: "hive.admin", normalize: false })
      .use(guards(deps))
      .use(
        openapi({
          path: "/openapi",
          specPath: "/openapi",
          // No UI: it would load scripts from a CDN, and hive must work offline. The JSON is the contract.
          provider: null,
          documentation: {
            info: { title: "hive", version: deps.version, description: "Local state server for a fleet of AI coding agents." },
            components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
            security: [{ bearer: [] }],
          },
        }),
      )
      .use(health(deps.db, deps.version))
      .use(
        api({
          ...deps.stores,
          // One queue per connection: every API write shares its transaction with concurrent ones.
          commit: createGroupCommit(deps.db),
          pulse: createPulse(),
          streams: deps.streams ?? { heartbeatMs: DEFAULTS.sseHeartbeatMs, maxStreams: DEFAULTS.maxStreams },
          auth: deps.auth,
          vault: deps.vault,
          logger: deps.logger,
          maxBodyBytes: deps.maxBodyBytes,
          maxArtifactBytes: deps.maxArtifactBytes ?? DEFAULTS.maxArtifactBytes,
          blobs: deps.blobs,
          paths: deps.paths,
          claudeDir: deps.claudeDir,
          host: deps.host,
          scheduler: deps.scheduler,
        }),
      )
  )
}

export type AdminApp = ReturnType<typeof createAdminApp>
