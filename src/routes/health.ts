import type { Hive } from "../hive"
import { Elysia } from "elysia"
import * as Health from "../db/health"

/**
 * Unauthenticated by design. On the admin listener (loopback) it says whether hive is up and which versions
 * it runs; on the phone listener, which the tunnel makes public, only whether it is up: a version tells an
 * attacker which holes to try.
 */
export const health = ({ db, config: { version } }: Pick<Hive, "db" | "config">, opts: { public?: boolean } = {}) =>
  new Elysia({ name: "routes.health" }).get(
    "/health",
    ({ status }) => {
      const probe = Health.probe(db)
      const state = probe.ok ? "ok" : "degraded"
      const body = opts.public ? { status: state } : { status: state, version, schema_version: probe.schema_version, database: probe.ok ? "ok" : "unavailable" }
      return probe.ok ? body : status(503, body)
    },
    {
      detail: {
        tags: ["health"],
        description: opts.public
          ? "Liveness only (this listener is public through the tunnel). No credential needed."
          : "Liveness, version and schema version. No token needed.",
        security: [],
      },
    },
  )
