import type { Database } from "bun:sqlite"
import * as Health from "../db/health"

/**
 * What /health answers, with no framework loaded (src/front.ts answers it while the API loads). On the admin
 * listener (loopback): whether hive is up and which versions it runs; on the phone listener, which the tunnel
 * makes public, only whether it is up: a version tells an attacker which holes to try.
 */
export function liveness(db: Database, version: string, opts: { public?: boolean } = {}) {
  const probe = Health.probe(db)
  const state = probe.ok ? "ok" : "degraded"
  const body = opts.public ? { status: state } : { status: state, version, schema_version: probe.schema_version, database: probe.ok ? "ok" : "unavailable" }
  return { status: probe.ok ? 200 : 503, body }
}
