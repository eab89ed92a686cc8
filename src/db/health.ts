import type { Database } from "bun:sqlite"
import { schemaVersion } from "./migrate"

export type DatabaseHealth = { ok: true; schema_version: number } | { ok: false; schema_version: number | null; error: string }

/** A cheap liveness probe for /health: can we read the schema version right now? */
export function probe(db: Database): DatabaseHealth {
  try {
    return { ok: true, schema_version: schemaVersion(db) }
  } catch (err) {
    return { ok: false, schema_version: null, error: err instanceof Error ? err.message : String(err) }
  }
}
