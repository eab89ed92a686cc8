import type { Database } from "bun:sqlite"
import { Elysia } from "elysia"
import * as Health from "../db/health"

/** Unauthenticated by design: it says only whether hive is up and which versions it runs. */
export const health = (db: Database, version: string) =>
  new Elysia({ name: "routes.health" }).get(
    "/health",
    ({ status }) => {
      const probe = Health.probe(db)
      const body = {
        status: probe.ok ? "ok" : "degraded",
        version,
        schema_version: probe.schema_version,
        database: probe.ok ? "ok" : "unavailable",
      }
      return probe.ok ? body : status(503, body)
    },
    { detail: { tags: ["health"], description: "Liveness, version and schema version. No token needed." } },
  )
