import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { copyFileSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { migrations } from "../../migrations"
import { migrationEnv } from "../../src/cli/home"
import * as Config from "../../src/config"
import { apply } from "../../src/db/migrate"
import { close, open } from "../../src/db/open"
import * as Schema from "../../src/db/schema"
import { cliEnv, hive, tempDir } from "../helpers"

// Issue 15, finding 1: a backup, or the database found on disk, is untrusted input. Its schema must be the
// one this binary's migrations build; a trigger or a view of its own must never get to run inside hive.

async function hiveFile(dir: string, version = migrations.length): Promise<string> {
  const path = join(dir, `v${version}.db`)
  const db = open(path)
  await apply(db, migrations.slice(0, version), { env: migrationEnv(db, Config.load({ home: dir }, { HOME: dir })) })
  close(db)
  return path
}

const tamper = (path: string, sql: string) => {
  const db = new Database(path)
  db.run(sql)
  db.close()
}

const HOSTILE: [string, string, string][] = [
  [
    "a trigger that approves every new approval",
    "CREATE TRIGGER approve_all AFTER INSERT ON approvals BEGIN UPDATE approvals SET status = 'approved' WHERE id = new.id; END",
    "an unexpected trigger approve_all on approvals",
  ],
  [
    "a trigger that copies every secret envelope into a preference",
    "CREATE TRIGGER leak AFTER INSERT ON secrets BEGIN INSERT OR REPLACE INTO preferences (key, value, updated_at) VALUES ('x', json_quote(hex(new.envelope)), 0); END",
    "an unexpected trigger leak on secrets",
  ],
  ["a view that calls load_extension", "CREATE VIEW ext AS SELECT load_extension('/tmp/evil.so') AS x", "an unexpected view ext on ext"],
  ["a table of its own", "CREATE TABLE extra (x TEXT)", "an unexpected table extra"],
  ["a dropped index", "DROP INDEX approvals_by_status", "no index approvals_by_status"],
]

describe("untrusted database files", () => {
  test("the reference schema is what the migrations build, and a migrated file matches it at every version", async () => {
    const dir = tempDir()
    for (const version of [1, 11, migrations.length]) {
      const db = new Database(await hiveFile(dir, version), { readonly: true })
      expect(Schema.untrusted(db, migrations)).toEqual([])
      db.close()
    }
  })

  test("restore refuses a backup that carries its own trigger, view or table, naming it, and changes nothing", async () => {
    const env = cliEnv()
    expect((await hive(["secrets", "set", "kept"], env, "one")).code).toBe(0)
    const live = join(env.HIVE_HOME, "hive.db")
    const before = readFileSync(live)
    const dir = tempDir()
    const clean = await hiveFile(dir)
    for (const [what, sql, named] of HOSTILE) {
      const file = join(dir, "hostile.db")
      copyFileSync(clean, file)
      tamper(file, sql)
      const r = await hive(["restore", file], env)
      expect(r.code, what).toBe(1)
      expect(r.stderr, what).toContain(named)
      expect(r.stderr, what).toContain("nothing was changed")
      expect(r.stderr, what).not.toContain("    at ")
    }
    // An older backup is judged against what the migrations built at its own version.
    const old = await hiveFile(dir, 11)
    tamper(old, HOSTILE[0]![1])
    const r = await hive(["restore", old], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("an unexpected trigger approve_all on approvals")
    expect(readFileSync(live).equals(before)).toBe(true)
  })

  test("a backup whose schema_migrations is not hive's is a clear refusal, not a stack trace", async () => {
    const env = cliEnv()
    const dir = tempDir()
    const file = join(dir, "odd.db")
    const db = new Database(file)
    db.run("CREATE TABLE schema_migrations (name TEXT)")
    db.run("INSERT INTO schema_migrations VALUES ('x')")
    db.close()
    const r = await hive(["restore", file], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("is not a hive database")
    expect(r.stderr).not.toContain("unexpected error")
    expect(r.stderr).not.toContain("    at ")
  })

  test("a live database that gained a trigger: doctor fails it, and hive refuses to start on it without touching it", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const live = join(env.HIVE_HOME, "hive.db")
    tamper(live, HOSTILE[0]![1])
    const before = readFileSync(live)
    const doctor = await hive(["doctor"], env)
    expect(doctor.code).toBe(1)
    expect(doctor.stdout).toMatch(/FAIL\s+schema\s+differs from what this hive's migrations build: an unexpected trigger approve_all on approvals/)
    for (const args of [["token", "create", "x"], ["migrate"]]) {
      const r = await hive(args, env)
      expect(r.code, args.join(" ")).toBe(1)
      expect(r.stderr).toContain("has a schema this hive did not make (an unexpected trigger approve_all on approvals)")
    }
    expect(readFileSync(live).equals(before)).toBe(true)
  })

  test("a function that is not marked harmless cannot run from a file's schema (trusted_schema is off)", async () => {
    const dir = tempDir()
    const file = await hiveFile(dir)
    tamper(file, "CREATE VIEW ext AS SELECT load_extension('/nonexistent/evil.so') AS x")
    const db = open(file)
    expect(() => db.query("SELECT x FROM ext").get()).toThrow(/unsafe use of load_extension/)
    db.close()
  })
})

describe("a damaged row", () => {
  test("a secret whose key_id lies does not lock the CLI out: list, rm and the other commands still run; doctor names it", async () => {
    const env = cliEnv()
    expect((await hive(["secrets", "set", "good"], env, "one")).code).toBe(0)
    expect((await hive(["secrets", "set", "liar"], env, "two")).code).toBe(0)
    const db = new Database(join(env.HIVE_HOME, "hive.db"))
    db.run("UPDATE secrets SET key_id = 'deadbeef' WHERE name = 'liar'")
    db.close()
    const doctor = await hive(["doctor"], env)
    expect(doctor.code).toBe(1)
    expect(doctor.stdout).toContain("lacks key id(s) deadbeef (1 secrets)")
    const list = await hive(["secrets", "list"], env)
    expect(list.code).toBe(0)
    expect(list.stderr).toContain("deadbeef")
    expect((await hive(["secrets", "get", "good"], env)).stdout).toBe("one")
    expect((await hive(["secrets", "rm", "liar"], env)).code).toBe(0)
    expect((await hive(["doctor"], env)).stdout).not.toContain("deadbeef")
  })

  test("a key that matches nothing in the database is still refused (a wrong key file, not a damaged row)", async () => {
    const env = cliEnv()
    expect((await hive(["secrets", "set", "good"], env, "one")).code).toBe(0)
    const other = { ...env, HIVE_MASTER_KEY: Buffer.alloc(32, 9).toString("base64") }
    const r = await hive(["secrets", "list"], other)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("is not the one this database needs")
  })
})
