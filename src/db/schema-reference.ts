import { Database } from "bun:sqlite"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import type { Registered } from "./migrate"
import { buildSchema } from "./migrate"
import { describe, NO_LEGACY } from "./schema-describe"

const DIR = join(import.meta.dir, "..", "..", "migrations")

/**
 * A Bun macro (imported `with { type: "macro" }`): the schema the newest migration leaves, built once when the
 * code is bundled, so `hive serve` compares the database found at start without building it again (~10 ms).
 * It reads the migration files themselves (a macro cannot run migrations/index.ts, which uses a macro of its
 * own; a test keeps that list and the folder equal). It carries its version and the files' names: when they
 * are not what the binary lists (a stale transpile cache), the reference is built at run time instead.
 */
export async function newestReference(): Promise<{ ids: string[]; entries: [string, string][] }> {
  const files = readdirSync(DIR)
    .filter((f) => /^\d{3}_\w+\.ts$/.test(f))
    .sort()
  const list: Registered[] = []
  for (const [i, file] of files.entries()) {
    const m = (await import(join(DIR, file))).default
    list.push({ ...m, version: i + 1, id: file.replace(/\.ts$/, ""), checksum: "" })
  }
  const db = new Database(":memory:", { strict: true })
  try {
    buildSchema(db, list, NO_LEGACY)
    return { ids: list.map((m) => m.id), entries: [...describe(db)] }
  } finally {
    db.close()
  }
}
