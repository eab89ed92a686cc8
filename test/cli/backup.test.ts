import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync, statSync, utimesSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { createBlobs } from "../../src/artifacts/blobs"
import { migrations } from "../../migrations"
import { migrationEnv } from "../../src/cli/home"
import * as Config from "../../src/config"
import { checkFile, listBackups } from "../../src/db/backup"
import { apply } from "../../src/db/migrate"
import { open } from "../../src/db/open"
import { backup, backupKey } from "../../src/jobs/backup"
import { createStores } from "../../src/db/stores"
import { decryptFile } from "../../src/secrets/backup-cipher"
import { cliEnv, hive, MAIN, tempDir, testApp } from "../helpers"
import { startServer } from "./serve-helper"

const CANARY = "canary-7f3e91c2-plaintext-row"

/** Flips the header bytes of every page but the first (which names the file a database), the way a bad disk would. */
function damage(path: string) {
  const bytes = readFileSync(path)
  const pageSize = bytes.readUInt16BE(16) || 65536
  for (let page = 1; page * pageSize < bytes.length; page++) for (let i = 0; i < 12; i++) bytes[page * pageSize + i]! ^= 0x5a
  writeFileSync(path, bytes)
}

describe("backups", () => {
  test("each backup is verified before it takes its name, and only the newest N are kept", async () => {
    const { db, config } = await testApp()
    const made = [0, 1, 2, 3, 4].map((i) => backup(db, config.backupsDir, { keep: 3, now: new Date(Date.UTC(2026, 0, 1 + i)) }))
    const left = readdirSync(config.backupsDir).sort()
    expect(left).toEqual(made.slice(2).map((b) => b.path.split("/").at(-1)!))
    expect(made[4]!.removed).toEqual([made[1]!.path])
    for (const name of left) expect(checkFile(join(config.backupsDir, name))).toEqual(["ok"])
    expect(listBackups(config.backupsDir).map((b) => b.created_at)).toEqual([4, 3, 2].map((d) => Date.UTC(2026, 0, 1 + d)))
  })

  test("an encrypted backup holds no plaintext row, opens with the key, and fails on any tampering", async () => {
    const { db, config, keys } = await testApp()
    db.run("INSERT INTO projects (id, name, directory, created_at, updated_at) VALUES ('p', ?, '/x', 1, 1)", [CANARY])
    const plain = backup(db, config.backupsDir, { keep: 10, now: new Date(1) })
    const sealed = backup(db, config.backupsDir, { keep: 10, now: new Date(2), seal: backupKey(keys) })
    expect(readFileSync(plain.path).includes(CANARY)).toBe(true)
    expect(sealed.path.endsWith(".db.enc")).toBe(true)
    expect(readFileSync(sealed.path).includes(CANARY)).toBe(false)
    const keyFor = (id: string) => {
      const g = keys.byId(id)
      return g && keys.subKey(g, "backup")
    }
    const out = join(tempDir(), "opened.db")
    decryptFile(sealed.path, out, keyFor)
    expect(new Database(out).query("SELECT name FROM projects").get()).toEqual({ name: CANARY })

    const bytes = readFileSync(sealed.path)
    const cases: [string, Buffer][] = [
      ["a flipped byte", Buffer.concat([bytes.subarray(0, 5000), Buffer.from([bytes[5000]! ^ 1]), bytes.subarray(5001)])],
      ["a cut-off end", bytes.subarray(0, bytes.length - 100)],
      ["extra bytes after the end", Buffer.concat([bytes, Buffer.from("more")])],
    ]
    for (const [what, tampered] of cases) {
      const path = join(tempDir(), "tampered.enc")
      writeFileSync(path, tampered)
      expect(() => decryptFile(path, join(tempDir(), "x.db"), keyFor), what).toThrow()
    }
    expect(() => decryptFile(sealed.path, join(tempDir(), "y.db"), () => crypto.getRandomValues(new Uint8Array(32)))).toThrow("authentication failed")
  })
})

describe("hive backup, restore and doctor", () => {
  test("a restore round trip: the backup's rows come back, and the database it replaced is kept aside", async () => {
    const env = cliEnv()
    expect((await hive(["secrets", "set", "kept"], env, "one")).code).toBe(0)
    const made = await hive(["backup", "--encrypt"], env)
    expect(made.code).toBe(0)
    const file = /backed up to (\S+)/.exec(made.stdout)![1]!
    expect((await hive(["secrets", "set", "later"], env, "two")).code).toBe(0)
    const restored = await hive(["restore", file], env)
    expect(restored.stderr).toBe("")
    expect(restored.code).toBe(0)
    expect(restored.stdout).toContain("kept the current database as")
    expect((await hive(["secrets", "get", "kept"], env)).stdout).toBe("one")
    expect((await hive(["secrets", "get", "later"], env)).code).toBe(1)
    const aside = listBackups(join(env.HIVE_HOME, "backups")).find((b) => b.label === "before-restore")!
    const db = new Database(aside.path, { readonly: true })
    expect(db.query("SELECT name FROM secrets ORDER BY name").all()).toEqual([{ name: "kept" }, { name: "later" }])
    db.close()
  })

  test("--with-artifacts keeps the artifact files beside the copy; rotation removes them with it; restore puts them back", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const db = open(join(env.HIVE_HOME, "hive.db"))
    const s = createStores(db)
    const session = s.sessions.create({ name: "s" })
    const blobs = createBlobs(env.HIVE_HOME)
    const put = (text: string) =>
      blobs.store(new Response(text).body, 1 << 20, { session: session.id, type: "log", contentType: "text/plain" }, async (placed) =>
        s.artifacts.add({ session_id: session.id, type: "log", name: null, content_type: "text/plain", ...placed }),
      )
    const kept = await put("kept in the backup\n")
    const gone = await put("deleted from disk before the backup\n")
    db.close()
    rmSync(join(env.HIVE_HOME, gone.path))

    const made = await hive(["backup", "--with-artifacts", "--keep", "1"], env)
    expect(made.code).toBe(0)
    const file = /backed up to (\S+)/.exec(made.stdout)![1]!
    expect(made.stdout).toContain(`kept 1 artifact file(s)`)
    expect(made.stdout).toContain(`missing: ${gone.path}`)
    expect(readFileSync(join(`${file}.artifacts`, kept.path))).toEqual(readFileSync(join(env.HIVE_HOME, kept.path)))
    const listed = JSON.parse((await hive(["backup", "list", "--json"], env)).stdout).items[0]
    expect(listed.artifacts_bytes).toBe(statSync(join(env.HIVE_HOME, kept.path)).size)

    // The original file goes (its session's data deleted); the backup's copy stays, and restore brings it back.
    rmSync(join(env.HIVE_HOME, "artifacts"), { recursive: true })
    // Whatever else someone put in the folder is not copied into the home: only paths of hive's own shape.
    mkdirSync(join(`${file}.artifacts`, "artifacts", "x"), { recursive: true })
    writeFileSync(join(`${file}.artifacts`, "artifacts", "x", "run.sh"), "echo hi")
    const restored = await hive(["restore", file], env)
    expect(restored.code).toBe(0)
    expect(restored.stdout).toContain("put back 1 artifact file(s)")
    expect(existsSync(join(env.HIVE_HOME, "artifacts", "x"))).toBe(false)
    expect(gunzipSync(readFileSync(join(env.HIVE_HOME, kept.path))).toString()).toBe("kept in the backup\n")

    // The next backup (keep 1) rotates this one out, with its artifact files.
    await Bun.sleep(5)
    expect((await hive(["backup", "--keep", "1"], env)).code).toBe(0)
    expect(existsSync(file)).toBe(false)
    expect(existsSync(`${file}.artifacts`)).toBe(false)
  })

  test("restore migrates an older backup forward and refuses a damaged file, a newer schema and a running server", async () => {
    const env = cliEnv()
    const dir = tempDir()
    const old = join(dir, "old.db")
    const db = open(old)
    await apply(db, migrations.slice(0, 11), { env: migrationEnv(db, Config.load({ home: dir }, { HOME: dir })) })
    db.run("INSERT INTO agents (name, created_at, updated_at) VALUES ('from-backup', 1, 1)")
    db.close()
    const migrated = await hive(["restore", old], env)
    expect(migrated.code).toBe(0)
    expect(migrated.stdout).toContain(`migrated the backup from schema 11 to ${migrations.length}`)

    const newer = join(dir, "newer.db")
    writeFileSync(newer, readFileSync(join(env.HIVE_HOME, "hive.db")))
    const n = new Database(newer)
    n.run("INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) VALUES (999, 'future', 'x', 1, 1)")
    n.close()
    const refusedNewer = await hive(["restore", newer], env)
    expect(refusedNewer.code).toBe(1)
    expect(refusedNewer.stderr).toContain("schema version 999, newer than this hive knows")

    const broken = join(dir, "broken.db")
    writeFileSync(broken, readFileSync(old))
    damage(broken)
    const refusedBroken = await hive(["restore", broken], env)
    expect(refusedBroken.code).toBe(1)
    expect(refusedBroken.stderr).toContain("is not a sound SQLite database")
    expect(refusedBroken.stderr).toContain("nothing was changed")

    const server = await startServer(["bun", join(import.meta.dir, "../../src/main.ts")], env)
    try {
      const refused = await hive(["restore", old], env)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(`hive serve is running on ${env.HIVE_HOME} (pid ${server.proc.pid}`)
    } finally {
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
    const check = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
    expect(check.query("SELECT name FROM agents").all()).toEqual([{ name: "from-backup" }])
    check.close()

    // Any other process with the database open (here: a script that opened it, read, and waits) is refused too:
    // what it wrote after the swap would be lost.
    const dbPath = join(env.HIVE_HOME, "hive.db")
    const holder = Bun.spawn(
      [
        "bun",
        "-e",
        `const { Database } = require("bun:sqlite"); globalThis.db = new Database(${JSON.stringify(dbPath)}); db.query("SELECT 1 FROM agents").get(); console.log("open"); setTimeout(() => {}, 30000)`,
      ],
      { stdout: "pipe" },
    )
    try {
      await holder.stdout.getReader().read() // it has the database open
      const refused = await hive(["restore", old], env)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(`another process has ${dbPath} open`)
      expect(refused.stderr).toContain("nothing was changed")
      expect(refused.stderr).not.toContain("    at ")
    } finally {
      holder.kill()
      await holder.exited
    }
    const after = await hive(["restore", old], env)
    expect(after.stderr).toBe("")
    expect(after.code).toBe(0)
  })

  test("doctor names a bad schedule (which serve refuses) and a schedule variable that names no job", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const fine = await hive(["doctor"], { ...env, HIVE_SCHEDULE_BACKUP: "0 2 * * *", HIVE_SCHEDULE_PRUNE_EVENTS: "30m" })
    expect(fine.stdout).toContain("ok    jobs      every schedule is an interval or a cron expression")
    const bad = { ...env, HIVE_SCHEDULE_BACKUP: "every tuesday", HIVE_SCHEDULE_BACKUPS: "1h" }
    const found = await hive(["doctor"], bad)
    expect(found.code).toBe(1)
    expect(found.stdout).toContain('FAIL  jobs      the schedule of backup ("every tuesday") is neither an interval like 1h nor a cron expression')
    expect(found.stdout).toContain("fix: fix or unset HIVE_SCHEDULE_BACKUP")
    expect(found.stdout).toContain("WARN  jobs      HIVE_SCHEDULE_BACKUPS names no job, so it changes nothing")
    expect(found.stdout).toContain("fix: use one of HIVE_SCHEDULE_CHECK_SESSIONS,")
    const serve = await hive(["serve", "--port", "0"], bad)
    expect(serve.code).toBe(1)
    expect(serve.stderr).toContain('the schedule of backup ("every tuesday")')
    expect(serve.stderr).not.toContain("    at ")
  })

  test("doctor passes a healthy home, finds a damaged copy, and serve refuses that copy without touching it", async () => {
    const env = cliEnv()
    expect((await hive(["secrets", "set", "s"], env, "v")).code).toBe(0)
    expect((await hive(["backup"], env)).code).toBe(0)
    const healthy = await hive(["doctor"], env)
    expect(healthy.code).toBe(0)
    expect(healthy.stdout).toContain("ok    database  integrity_check: ok")
    expect(healthy.stdout).toContain("decrypts secret s")
    expect(healthy.stdout).toContain("no problems found")

    // A file no artifact refers to, old enough not to be an upload in flight, is reported with its fix.
    const stray = join(env.HIVE_HOME, "artifacts", "gone-session", "log", "abc.gz")
    mkdirSync(join(stray, ".."), { recursive: true })
    writeFileSync(stray, "left behind")
    utimesSync(stray, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000))
    const orphaned = await hive(["doctor"], env)
    expect(orphaned.stdout).toContain("WARN  artifacts 1 file(s) no artifact refers to, 11 bytes (first: artifacts/gone-session/log/abc.gz)")
    expect(orphaned.stdout).toContain("fix: run `hive jobs run prune-artifacts`")
    expect((await hive(["jobs", "run", "prune-artifacts"], env)).stdout).toContain("job prune-artifacts: 1 affected")
    expect((await hive(["doctor"], env)).stdout).toContain("ok    artifacts 0 file(s), all present and referenced")

    const db = open(join(env.HIVE_HOME, "hive.db"))
    const s = createStores(db)
    const session = s.sessions.create({ name: "s" })
    s.artifacts.add({
      session_id: session.id,
      type: "log",
      name: null,
      content_type: "text/plain",
      size: 1,
      stored_size: 1,
      encoding: "identity",
      sha256: "f",
      path: `artifacts/${session.id}/log/f`,
    })
    db.close()
    const missing = await hive(["doctor"], env)
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain(`FAIL  artifacts 1 file(s) that artifacts refer to are missing (first: artifacts/${session.id}/log/f)`)
    const cleanup = open(join(env.HIVE_HOME, "hive.db"))
    cleanup.run("DELETE FROM artifacts")
    cleanup.close()

    const copy = { ...env, HIVE_HOME: join(tempDir(), "copy") }
    mkdirSync(copy.HIVE_HOME)
    writeFileSync(join(copy.HIVE_HOME, "hive.db"), readFileSync(join(env.HIVE_HOME, "hive.db")))
    damage(join(copy.HIVE_HOME, "hive.db"))
    const before = readFileSync(join(copy.HIVE_HOME, "hive.db"))
    const sick = await hive(["doctor"], copy)
    expect(sick.code).toBe(1)
    expect(sick.stdout).toMatch(/FAIL {2}database/)
    expect(sick.stdout).toContain("fix: ")
    expect(sick.stderr).not.toContain("    at ")

    const serve = await hive(["serve", "--port", "0"], copy)
    expect(serve.code).toBe(1)
    expect(serve.stderr).toMatch(/is (damaged|not a readable SQLite database)/)
    expect(serve.stderr).not.toContain("    at ")
    expect(readFileSync(join(copy.HIVE_HOME, "hive.db")).equals(before)).toBe(true)
    expect(existsSync(join(copy.HIVE_HOME, "backups"))).toBe(false)
  })

  test("serve skips its quick_check only for the file its last clean stop left: a kill, another writer or a swapped-in copy gets the check", async () => {
    const env = { ...cliEnv(), HIVE_LOG_LEVEL: "debug" }
    const mark = join(env.HIVE_HOME, "clean-stop.json")
    const skipped = "no start-up quick_check"
    const serveOnce = async (kill: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
      const server = await startServer(["bun", MAIN], env)
      expect(existsSync(mark)).toBe(false) // taken at start: a crash from here on leaves none
      // A stop in hive's first second can leave the WAL unfolded (then, rightly, no mark is written and the
      // next start checks); this test is about the marks of a server that has settled.
      await Bun.sleep(1500)
      server.proc.kill(kill)
      await server.proc.exited
      await server.drained
      return server.log()
    }
    expect(await serveOnce()).not.toContain(skipped) // the first start checks
    expect(existsSync(mark)).toBe(true)
    expect(await serveOnce("SIGKILL")).toContain(skipped) // the file its clean stop left
    expect(existsSync(mark)).toBe(false) // killed: no mark
    expect(await serveOnce()).not.toContain(skipped)
    expect((await hive(["secrets", "set", "later"], env, "v")).code).toBe(0) // another writer
    expect(await serveOnce()).not.toContain(skipped)

    // A damaged copy put in the file's place after a clean stop is checked, and refused untouched.
    expect(existsSync(mark)).toBe(true)
    const path = join(env.HIVE_HOME, "hive.db")
    const bytes = readFileSync(path)
    rmSync(path)
    writeFileSync(path, bytes)
    damage(path)
    const serve = await hive(["serve", "--port", "0"], env)
    expect(serve.code).toBe(1)
    expect(serve.stderr).toMatch(/is (damaged|not a readable SQLite database)/)
  })

  test("bad arguments are one clear line and exit 2", async () => {
    const env = cliEnv()
    for (const args of [["backup", "--keep", "0"], ["backup", "nope"], ["restore"], ["jobs"], ["jobs", "run"], ["jobs", "frob"], ["doctor", "extra"]]) {
      const r = await hive(args, env)
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
    }
    const unknown = await hive(["jobs", "run", "nope"], env)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no job "nope"; jobs: check-sessions, time-out-questions')
  })
})
