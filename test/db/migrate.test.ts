import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { migrations } from "../../migrations"
import { apply, appliedRows, MigrationError, plan, rollback, schemaVersion, type Migration } from "../../src/db/migrate"
import { open } from "../../src/db/open"
import { register, sampleMigrations } from "../fixtures/sample-migrations"
import { migrationEnv } from "../../src/cli/home"
import { isolatedConfig, ROOT, tempDir } from "../helpers"

const freshDb = () => {
  const dir = tempDir()
  return { dir, path: join(dir, "hive.db"), db: open(join(dir, "hive.db")) }
}
const tables = (db: Database) =>
  db
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name)

function child(dbPath: string, dir: string, env: Record<string, string> = {}, slowMs = 0) {
  return Bun.spawn(["bun", join(ROOT, "test/fixtures/migrate-child.ts"), dbPath, dir, String(slowMs)], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  })
}

describe("the migration runner", () => {
  test("applies migrations in order and records version, name, checksum and duration", async () => {
    const { db } = freshDb()
    const order: string[] = []
    const list = register([
      { name: "first", up: ({ db }) => void (order.push("first"), db.run("CREATE TABLE a (x INTEGER)")) },
      { name: "second", up: ({ db }) => void (order.push("second"), db.run("ALTER TABLE a ADD COLUMN y INTEGER")) },
    ])
    const reports = await apply(db, list, { now: () => 1234 })
    expect(order).toEqual(["first", "second"])
    expect(reports.map((r) => r.id)).toEqual(["001_first", "002_second"])
    expect(appliedRows(db)).toEqual([
      { version: 1, name: "first", checksum: "sum-first", applied_at: 1234, duration_ms: expect.any(Number), effects_pending: 0 },
      { version: 2, name: "second", checksum: "sum-second", applied_at: 1234, duration_ms: expect.any(Number), effects_pending: 0 },
    ])
    expect(await apply(db, list)).toEqual([])
  })

  test("a failing migration is rolled back entirely, earlier ones stay applied, later ones do not run", async () => {
    const { db } = freshDb()
    let thirdRan = false
    const list = register([
      { name: "ok", up: ({ db }) => void db.run("CREATE TABLE kept (x INTEGER)") },
      {
        name: "broken",
        up: ({ db }) => {
          db.run("CREATE TABLE half_done (x INTEGER)")
          db.run("INSERT INTO no_such_table VALUES (1)")
        },
      },
      { name: "after", up: () => void (thirdRan = true) },
    ])
    const err = await apply(db, list).catch((e) => e)
    expect(err).toBeInstanceOf(MigrationError)
    expect(err.message).toBe("migration 002_broken failed: no such table: no_such_table")
    expect(tables(db)).toContain("kept")
    expect(tables(db)).not.toContain("half_done")
    expect(thirdRan).toBe(false)
    expect(schemaVersion(db)).toBe(1)
  })

  test("afterCommit work runs only once the transaction has committed, and never for a failed migration", async () => {
    const { db, path } = freshDb()
    const seen: number[] = []
    const list = register([
      {
        name: "with_effect",
        up: ({ db, afterCommit }) => {
          db.run("CREATE TABLE t (x INTEGER)")
          db.run("INSERT INTO t VALUES (42)")
          afterCommit(() => {
            // A second connection sees only committed data.
            const other = new Database(path, { readonly: true })
            seen.push(other.query<{ x: number }, []>("SELECT x FROM t").get()!.x)
            other.close()
          })
        },
      },
      {
        name: "fails_after_queueing",
        up: ({ afterCommit }) => {
          afterCommit(() => void seen.push(-1))
          throw new Error("boom")
        },
      },
    ])
    await expect(apply(db, list)).rejects.toThrow("migration 002_fails_after_queueing failed: boom")
    expect(seen).toEqual([42])
  })

  test("a crash before commit leaves nothing behind; the next run applies the migration", async () => {
    const { dir, path } = freshDb()
    writeFileSync(join(dir, "legacy.txt"), "a\nb\n")
    const crashed = child(path, dir, { HIVE_TEST_FAULT: "2:before-commit" })
    expect(await crashed.exited).not.toBe(0)
    const db = open(path)
    expect(appliedRows(db).map((r) => r.version)).toEqual([1])
    expect(db.query("SELECT count(*) AS n FROM imported").get()).toEqual({ n: 0 })
    expect(existsSync(join(dir, "legacy.txt"))).toBe(true)

    const again = child(path, dir)
    expect(await again.exited).toBe(0)
    expect(db.query("SELECT count(*) AS n FROM imported").get()).toEqual({ n: 2 })
    expect(existsSync(join(dir, "legacy.txt"))).toBe(false)
  })

  test("a crash between commit and the file side effect converges on the next run, importing nothing twice", async () => {
    const { dir, path } = freshDb()
    writeFileSync(join(dir, "legacy.txt"), "a\nb\nc\n")
    const crashed = child(path, dir, { HIVE_TEST_FAULT: "2:after-commit" })
    expect(await crashed.exited).not.toBe(0)
    const db = open(path)
    expect(appliedRows(db).find((r) => r.version === 2)?.effects_pending).toBe(1)
    expect(db.query("SELECT count(*) AS n FROM imported").get()).toEqual({ n: 3 })
    expect(existsSync(join(dir, "legacy.txt"))).toBe(true) // committed, not yet deleted

    const again = child(path, dir)
    expect(await again.exited).toBe(0)
    const reports = JSON.parse(await new Response(again.stdout).text())
    expect(reports[0]).toEqual({ id: "002_import_legacy", resumed: true, lines: ["imported 0 of 3"] })
    expect(existsSync(join(dir, "legacy.txt"))).toBe(false)
    expect(db.query("SELECT count(*) AS n FROM imported").get()).toEqual({ n: 3 })
    expect(appliedRows(db).every((r) => r.effects_pending === 0)).toBe(true)
  })

  test("four runners started at once apply each migration exactly once", async () => {
    const { dir, path } = freshDb()
    writeFileSync(join(dir, "legacy.txt"), "x\n")
    const runners = Array.from({ length: 4 }, () => child(path, dir, {}, 300))
    const codes = await Promise.all(runners.map((r) => r.exited))
    // Seen once under a loaded CI run and not reproduced since: say why a runner failed, if one ever does.
    const why = await Promise.all(runners.map(async (r, i) => (codes[i] === 0 ? "" : await new Response(r.stderr).text())))
    expect(codes, why.join("\n")).toEqual([0, 0, 0, 0])
    const db = open(path)
    expect(appliedRows(db).map((r) => r.version)).toEqual([1, 2, 3])
    expect(db.query("SELECT count(*) AS n FROM applied_by").get()).toEqual({ n: 1 })
    expect(db.query("SELECT count(*) AS n FROM imported").get()).toEqual({ n: 1 })
  })

  test("a database newer than the binary is refused and left untouched", async () => {
    const { db } = freshDb()
    const list = sampleMigrations(tempDir())
    await apply(db, list)
    db.run("INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) VALUES (9, 'future', 'x', 0, 0)")
    await expect(apply(db, list)).rejects.toThrow(
      "the database is at schema version 9, newer than this hive knows (3); upgrade hive or restore an older backup",
    )
    expect(plan(db, list).newerThanBinary).toBe(true)
  })

  test("a migration whose source changed after it was applied is reported, not re-run", async () => {
    const { db } = freshDb()
    let runs = 0
    const m: Migration = { name: "counted", up: () => void runs++ }
    await apply(db, register([m]))
    const edited = register([m]).map((r) => ({ ...r, checksum: "different" }))
    expect(plan(db, edited).modified).toEqual([{ version: 1, id: "001_counted", recorded: "sum-counted", current: "different" }])
    expect(plan(db, edited).pending).toEqual([])
    await apply(db, edited)
    expect(runs).toBe(1)
  })

  test("down rolls back only migrations that define it, and refuses before changing anything otherwise", async () => {
    const { db } = freshDb()
    const list = register([
      { name: "no_down", up: ({ db }) => void db.run("CREATE TABLE a (x INTEGER)") },
      { name: "has_down", up: ({ db }) => void db.run("CREATE TABLE b (x INTEGER)"), down: ({ db }) => void db.run("DROP TABLE b") },
    ])
    await apply(db, list)
    let backups = 0
    expect(() => rollback(db, list, 2, { backup: () => void backups++ })).toThrow(
      "migration 001_no_down has no down step; it cannot be rolled back (restore a backup instead)",
    )
    expect(backups).toBe(0)
    expect(schemaVersion(db)).toBe(2)
    expect(rollback(db, list, 1, { backup: () => void backups++ })).toEqual(["002_has_down"])
    expect(backups).toBe(1)
    expect(tables(db)).not.toContain("b")
    expect(schemaVersion(db)).toBe(1)
    await apply(db, list)
    expect(tables(db)).toContain("b")
  })

  test("a list out of order is a programming error caught before anything runs", async () => {
    const { db } = freshDb()
    const list = register([
      { name: "a", up() {} },
      { name: "b", up() {} },
    ]).reverse()
    await expect(apply(db, list)).rejects.toThrow("migration list is out of order")
  })
})

describe("the shipped migrations", () => {
  test("every migrations/NNN_*.ts file is listed in index.ts, in order, with its source checksum", () => {
    const files = readdirSync(join(ROOT, "migrations"))
      .filter((f) => /^\d{3}_.+\.ts$/.test(f))
      .sort()
    expect(migrations.map((m) => `${m.id}.ts`)).toEqual(files)
    for (const m of migrations) {
      const source = readFileSync(join(ROOT, "migrations", `${m.id}.ts`))
      expect(m.checksum).toBe(new Bun.CryptoHasher("sha256").update(source).digest("hex"))
    }
  })

  test("apply to an empty database and create the core tables", async () => {
    const { db } = freshDb()
    await apply(db, migrations, { env: migrationEnv(db, isolatedConfig()) })
    expect(tables(db)).toEqual(
      expect.arrayContaining(["projects", "sessions", "worktrees", "paired_devices", "preferences", "api_tokens", "schema_migrations"]),
    )
    expect(db.query("PRAGMA foreign_key_check").all()).toEqual([])
  })

  test("migrations that define down undo themselves and re-apply cleanly", async () => {
    const { db } = freshDb()
    const env = migrationEnv(db, isolatedConfig())
    await apply(db, migrations, { env })
    const reversible = [...migrations].reverse().findIndex((m) => !m.down)
    const count = reversible === -1 ? migrations.length : reversible
    if (count > 0) {
      rollback(db, migrations, count)
      expect(schemaVersion(db)).toBe(migrations.length - count)
      await apply(db, migrations, { env })
    }
    expect(schemaVersion(db)).toBe(migrations.length)
  })
})
