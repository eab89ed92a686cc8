import type { Database } from "bun:sqlite"
import { expect, test } from "bun:test"
import { existsSync } from "node:fs"
import { hive } from "../helpers"
import { legacyHome } from "../legacy/home"

// Which table each legacy file's entries land in.
const TABLE = {
  sessions: "sessions",
  replyTokens: "session_tokens",
  gitlab: "operator_oauth_tokens",
  sdk: "claude_sdk_sessions",
  alice: "secrets",
  bob: "secrets",
  penpot: "secrets",
  preferences: "preferences",
  devices: "paired_devices",
} as const
const TABLES = [...new Set(Object.values(TABLE))]

// A crash in an early migration leaves the later ones' tables not created yet: those hold nothing.
const exists = (db: Database, t: string) => db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !== null
const counts = (db: Database) =>
  Object.fromEntries(TABLES.map((t) => [t, exists(db, t) ? (db.query(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n : 0]))

test("legacy imports interrupted at every fault point converge: each entry once, no file deleted before its rows, every secret decrypts", async () => {
  const clean = legacyHome()
  expect((await hive(["migrate", ...clean.flags], clean.env)).code).toBe(0)
  const reference = counts(clean.db())
  let runs = 0
  for (const migration of [4, 5, 6, 7, 8, 9, 10])
    for (const point of ["before-commit", "after-commit", "after-unlink"]) {
      const h = legacyHome()
      const what = `${migration}:${point}`
      const crashed = await hive(["migrate", ...h.flags], { ...h.env, HIVE_TEST_FAULT: what })
      expect(crashed.code, what).not.toBe(0)
      const db = h.db()
      const after = counts(db)
      db.close()
      // A file may be gone only once the rows it held are committed.
      for (const [file, table] of Object.entries(TABLE))
        if (!existsSync(h.files[file as keyof typeof TABLE])) expect(after[table], `${what}: ${file} deleted with no rows in ${table}`).toBeGreaterThan(0)

      const again = await hive(["migrate", ...h.flags], h.env)
      expect(again.code, `${what}: ${again.stderr}`).toBe(0)
      for (const [file, path] of Object.entries(h.files)) expect({ what, file, exists: existsSync(path) }).toEqual({ what, file, exists: false })
      expect(counts(h.db()), what).toEqual(reference)
      expect((await hive(["secrets", "get", "agent_token:alice"], h.env)).stdout, what).toBe("CANARY-forgejo-pat-alice\n")
      expect((await hive(["secrets", "get", "penpot_api_token"], h.env)).code, what).toBe(0)
      expect((await hive(["oauth", "get", "gitlab"], h.env)).code, what).toBe(0)
      runs++
    }
  console.log(`migrations: ${runs} interrupted imports (7 migrations x 3 fault points), every one converged to ${JSON.stringify(reference)}`)
}, 600_000)
