import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import pkg from "../../package.json"
import { migrations } from "../../migrations"
import { apply } from "../../src/db/migrate"
import { open } from "../../src/db/open"
import { cliEnv, hive, MAIN } from "../helpers"
import { startServer } from "./serve-helper"

/** A home whose database has only the first migration applied: it "already has data". */
async function homeAtVersion1() {
  const env = cliEnv()
  mkdirSync(env.HIVE_HOME, { recursive: true, mode: 0o700 })
  const db = open(join(env.HIVE_HOME, "hive.db"))
  await apply(db, migrations.slice(0, 1))
  db.run("INSERT INTO projects (id, name, directory, created_at, updated_at) VALUES ('p1', 'kept', '/kept', 1, 1)")
  db.close()
  return env
}

describe("help, version and usage errors", () => {
  test("--version prints the package version", async () => {
    for (const flag of ["--version", "-v"]) expect(await hive([flag])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })

  test("--help lists every command; each command has its own --help", async () => {
    const top = await hive(["--help"])
    expect(top.code).toBe(0)
    for (const name of ["serve", "migrate", "token"]) {
      expect(top.stdout).toContain(`  ${name}`)
      const own = await hive([name, "--help"])
      expect(own.code).toBe(0)
      expect(own.stdout).toStartWith(`Usage: hive ${name}`)
    }
  })

  test("an unknown command, flag or subcommand is a one-line error with exit code 2", async () => {
    for (const args of [
      ["frobnicate"],
      ["--frobnicate"],
      ["serve", "--frobnicate"],
      ["migrate", "sideways"],
      ["token"],
      ["serve", "extra"],
      ["serve", "--port", "99999"],
    ]) {
      const res = await hive(args, cliEnv())
      expect(res.code).toBe(2)
      expect(res.stderr.trim().split("\n")).toHaveLength(1)
      expect(res.stderr).toStartWith("hive: ")
    }
  })
})

describe("typos and shell completion", () => {
  test("a mistyped command, subcommand, option or shell names the one meant; a word close to none names none", async () => {
    for (const [args, meant] of [
      [["srve"], "serve"],
      [["tokne", "list"], "token"],
      [["token", "lsit"], "list"],
      [["jobs", "rn"], "run"],
      [["migrate", "stauts"], "status"],
      [["--hepl"], "--help"],
      [["help", "doctr"], "doctor"],
      [["completion", "zhs"], "zsh"],
      [["rest"], "restore"],
    ] as const) {
      const res = await hive([...args], cliEnv())
      expect(res.code).toBe(2)
      expect(res.stderr).toContain(`(did you mean "${meant}"?)`)
    }
    // ("rest" is the start of one command only.) Nothing is suggested for a word close to no name.
    for (const args of [["xyzzy"], ["token", "obliterate"]]) {
      const res = await hive(args, cliEnv())
      expect(res.code).toBe(2)
      expect(res.stderr).not.toContain("did you mean")
    }
  })

  test("bash completes commands, a command's subcommands and its options, taken from each --help", async () => {
    const script = await hive(["completion", "bash"])
    expect(script.code).toBe(0)
    const complete = async (...words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(" ")
      const run = Bun.spawn(
        ["bash", "-c", `source /dev/stdin; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _hive; printf '%s\\n' "\${COMPREPLY[@]}"`],
        { stdin: new TextEncoder().encode(script.stdout), stdout: "pipe", stderr: "pipe" },
      )
      const [out, err] = [await new Response(run.stdout).text(), await new Response(run.stderr).text()]
      expect(err).toBe("")
      return out.split("\n").filter(Boolean).sort()
    }
    expect(await complete("hive", "to")).toEqual(["token"])
    expect(await complete("hive", "d")).toEqual(["desk", "devices", "doctor"])
    expect(await complete("hive", "token", "")).toEqual(["create", "list", "revoke"])
    expect(await complete("hive", "hook", "")).toEqual(["install", "uninstall"])
    expect(await complete("hive", "approvals", "")).toEqual(["approve", "deny", "list"])
    expect(await complete("hive", "token", "create", "--s")).toEqual(["--scope"])
    expect(await complete("hive", "hook", "install", "--d")).toEqual(["--dry-run"])
    expect(await complete("hive", "completion", "")).toEqual(["bash", "fish", "zsh"])
  })

  test("the zsh and fish scripts name every command, and a shell that is there accepts them", async () => {
    const commands = (await hive(["--help"])).stdout.match(/^ {2}([a-z]+) /gm)!.map((l) => l.trim())
    expect(commands.length).toBeGreaterThan(10)
    for (const shell of ["zsh", "fish"]) {
      const script = await hive(["completion", shell])
      expect(script.code).toBe(0)
      for (const c of commands) expect(script.stdout).toMatch(new RegExp(shell === "zsh" ? `'${c}:` : `-a ${c} -d`))
      // Only a syntax check: the shells are not part of the machine CI promises.
      if (Bun.which(shell)) {
        const check = Bun.spawnSync([shell, "-n", "/dev/stdin"], { stdin: new TextEncoder().encode(script.stdout), stderr: "pipe" })
        expect(check.stderr.toString()).toBe("")
        expect(check.exitCode).toBe(0)
      }
    }
  })
})

describe("a data home others can read", () => {
  test("a new home's database, and the WAL SQLite makes beside it, are 0600 from the start", async () => {
    const env = cliEnv()
    const server = await startServer(["bun", MAIN], env)
    try {
      const token = (await hive(["token", "create", "--name", "m"], env)).stdout.trim()
      await fetch(`${server.url}/api/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: '{"kind":"k"}',
      })
      for (const name of ["hive.db", "hive.db-wal", "hive.db-shm"]) expect(statSync(join(env.HIVE_HOME, name)).mode & 0o777, name).toBe(0o600)
    } finally {
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
  })

  test("is made 0700 with its files 0600, said once; doctor warns first and changes nothing; a symlink's target is left alone", async () => {
    const env = cliEnv()
    expect((await hive(["migrate"], env)).code).toBe(0)
    const home = env.HIVE_HOME
    const outside = join(home, "..", "outside.txt")
    writeFileSync(outside, "not hive's")
    chmodSync(outside, 0o644)
    mkdirSync(join(home, "backups", "old"), { recursive: true })
    writeFileSync(join(home, "backups", "old", "note.txt"), "x")
    symlinkSync(outside, join(home, "link"))
    // As the older app left it.
    for (const [path, mode] of [
      [home, 0o755],
      [join(home, "hive.db"), 0o644],
      [join(home, "backups"), 0o755],
      [join(home, "backups", "old"), 0o755],
      [join(home, "backups", "old", "note.txt"), 0o644],
    ] as const)
      chmodSync(path, mode)
    const mode = (path: string) => statSync(path).mode & 0o777

    const doctor = await hive(["doctor"], env)
    expect(doctor.stdout).toMatch(/WARN {2}home +.* is mode 0755/)
    expect(mode(home)).toBe(0o755)

    const first = await hive(["jobs", "list"], env)
    expect(first.code).toBe(0)
    expect(first.stderr).toContain("could be read by other users: made it 0700 and its files 0600")
    expect(mode(home)).toBe(0o700)
    expect(mode(join(home, "hive.db"))).toBe(0o600)
    expect(mode(join(home, "backups"))).toBe(0o700)
    expect(mode(join(home, "backups", "old"))).toBe(0o700)
    expect(mode(join(home, "backups", "old", "note.txt"))).toBe(0o600)
    expect(mode(outside)).toBe(0o644)
    const again = await hive(["jobs", "list"], env)
    expect(again.stderr).toBe("")
    expect((await hive(["doctor"], env)).stdout).toMatch(/ok {4}home +.* is private \(0700\)/)
  })
})

describe("hive migrate", () => {
  test("--dry-run on a fresh home prints the plan and creates nothing", async () => {
    const env = cliEnv()
    const res = await hive(["migrate", "--dry-run"], env)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain("apply 001_core")
    expect(res.stdout).toContain("apply 002_api_tokens")
    expect(existsSync(env.HIVE_HOME)).toBe(false)
  })

  test("applies each migration with its duration, then reports it is up to date; no backup of an empty database", async () => {
    const env = cliEnv()
    const first = await hive(["migrate"], env)
    expect(first.code).toBe(0)
    const lines = migrations.map((m) => `applied ${m.id} \\(\\d+ ms\\)\\n`).join("")
    expect(first.stdout).toMatch(new RegExp(`^${lines}done: schema version ${migrations.length}\\n$`))
    expect(existsSync(join(env.HIVE_HOME, "backups"))).toBe(false)
    expect(statSync(env.HIVE_HOME).mode & 0o777).toBe(0o700)
    const second = await hive(["migrate"], env)
    expect(second.stdout).toBe(`already up to date: schema version ${migrations.length}\n`)
    const status = await hive(["migrate", "status"], env)
    expect(status.stdout).toContain(`schema version ${migrations.length}; this hive knows ${migrations.length}`)
    expect(status.stdout).toMatch(/001_core\s+applied \d{4}-\d\d-\d\d/)
  })

  test("a database that holds data is backed up with VACUUM INTO before anything is applied", async () => {
    const env = await homeAtVersion1()
    const status = await hive(["migrate", "status"], env)
    expect(status.stdout).toMatch(/002_api_tokens\s+pending/)
    const dry = await hive(["migrate", "--dry-run"], env)
    expect(dry.stdout).toContain("back up")
    expect(existsSync(join(env.HIVE_HOME, "backups"))).toBe(false)

    const res = await hive(["migrate"], env)
    expect(res.code).toBe(0)
    const [backup] = readdirSync(join(env.HIVE_HOME, "backups"))
    expect(backup).toMatch(/^hive-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-pre-migrate\.db$/)
    expect(res.stdout).toContain(`backed up the database to ${join(env.HIVE_HOME, "backups", backup!)}`)
    const path = join(env.HIVE_HOME, "backups", backup!)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const copy = new Database(path, { readonly: true })
    expect(copy.query("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({ v: 1 })
    expect(copy.query("SELECT name FROM projects").all()).toEqual([{ name: "kept" }])
    copy.close()
  })

  test("a table hive did not make stops the migrations before the first one runs, naming it; earlier migrations stay applied", async () => {
    const env = await homeAtVersion1()
    const db = open(join(env.HIVE_HOME, "hive.db"))
    db.run("CREATE TABLE api_tokens (squatter INTEGER)")
    db.close()
    const res = await hive(["migrate"], env)
    expect(res.code).toBe(1)
    expect(res.stderr).toStartWith(
      `hive: ${join(env.HIVE_HOME, "hive.db")} has a schema this hive did not make (an unexpected table api_tokens); hive left it untouched.`,
    )
    expect((await hive(["migrate", "status"], env)).stdout).toMatch(/001_core\s+applied[\s\S]*002_api_tokens\s+pending/)
  })

  test("a database newer than this hive is refused by migrate and serve, and left as it was", async () => {
    const env = cliEnv()
    await hive(["migrate"], env)
    const db = open(join(env.HIVE_HOME, "hive.db"))
    db.run("INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) VALUES (999, 'from_the_future', 'x', 0, 0)")
    db.close()
    for (const cmd of ["migrate", "serve"]) {
      const res = await hive([cmd], env)
      expect(res.code).toBe(1)
      expect(res.stderr).toContain("the database is at schema version 999, newer than this hive knows")
    }
  })

  test("down rolls back a migration that has a down step and refuses one that does not", async () => {
    const env = cliEnv()
    mkdirSync(env.HIVE_HOME, { recursive: true })
    const db = open(join(env.HIVE_HOME, "hive.db"))
    await apply(db, migrations.slice(0, 2))
    db.close()
    const down = await hive(["migrate", "down"], env)
    expect(down.code).toBe(0)
    expect(down.stdout).toContain("rolled back 002_api_tokens")
    expect(down.stdout).toContain("-pre-rollback.db")
    const refused = await hive(["migrate", "down"], env)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("migration 001_core has no down step")
    expect((await hive(["migrate", "down", "zero"], env)).code).toBe(2)
    expect((await hive(["migrate"], env)).stdout).toContain("applied 002_api_tokens")
    // From the top: migrations with a down step roll back one at a time, down to the newest without one.
    const stop = migrations.findLast((m) => !m.down)!
    for (const m of migrations.filter((m) => m.version > stop.version).reverse()) {
      const one = await hive(["migrate", "down"], env)
      expect(one.code, m.id).toBe(0)
      expect(one.stdout).toContain(`rolled back ${m.id}`)
    }
    const atTop = await hive(["migrate", "down"], env)
    expect(atTop.code).toBe(1)
    expect(atTop.stderr).toContain(`migration ${stop.id} has no down step`)
  })

  test("a corrupt database file is refused with a clear message and left untouched", async () => {
    const env = cliEnv()
    mkdirSync(env.HIVE_HOME, { recursive: true })
    const path = join(env.HIVE_HOME, "hive.db")
    const junk = Buffer.from("this is not a database ".repeat(300))
    writeFileSync(path, junk)
    for (const cmd of ["migrate", "serve"]) {
      const res = await hive([cmd], env)
      expect(res.code).toBe(1)
      expect(res.stderr).toContain(`${path} is not a readable SQLite database`)
      expect(res.stderr).not.toContain("    at ")
    }
    expect(readFileSync(path).equals(junk)).toBe(true)
  })
})

describe("hive token", () => {
  test("create prints only the token; list shows it without the token; revoke marks it", async () => {
    const env = cliEnv()
    const created = await hive(["token", "create", "--name", "hooks", "--ttl", "2h"], env)
    expect(created.code).toBe(0)
    const token = created.stdout.trim()
    expect(token.split(".")).toHaveLength(3)
    expect(created.stderr).toContain('"hooks" (admin) expires')
    const keyFile = join(env.XDG_CONFIG_HOME, "hive", "master.key")
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readdirSync(env.HIVE_HOME)).not.toContain("master.key")

    const list = await hive(["token", "list"], env)
    expect(list.stdout).toMatch(/hooks\s+.*\s+active/)
    expect(list.stdout).not.toContain(token)
    const id = /^([0-9a-f-]{36})\s+hooks/m.exec(list.stdout)![1]!
    expect((await hive(["token", "revoke", id], env)).stdout).toBe(`revoked token ${id} "hooks"\n`)
    expect((await hive(["token", "list"], env)).stdout).toMatch(/hooks\s+.*\s+revoked/)
    expect(await hive(["token", "revoke", "nope"], env)).toMatchObject({ code: 1, stderr: "hive: token nope not found\n" })
  })

  test("bad flags are usage errors", async () => {
    const env = cliEnv()
    expect((await hive(["token", "create"], env)).stderr).toContain("--name is required")
    for (const ttl of ["forever", "0d", "5000d", "-1h"]) expect((await hive(["token", "create", "--name", "x", "--ttl", ttl], env)).code).toBe(2)
    for (const flags of [
      ["--scope", "root"],
      ["--scope", "agent"],
      ["--agent", "Bad Name"],
      ["--agent", "operator"],
      ["--agent", "a", "--scope", "read"],
    ])
      expect((await hive(["token", "create", "--name", "x", ...flags], env)).code).toBe(2)
  })

  test("an agent's token adds the agent; a scoped token's scope shows in the list", async () => {
    const env = cliEnv()
    const agent = await hive(["token", "create", "--agent", "alice"], env)
    expect(agent.code).toBe(0)
    expect(agent.stderr).toContain("added agent alice")
    expect(agent.stderr).toContain('"alice" (agent:alice) expires')
    expect((await hive(["token", "create", "--name", "dash", "--scope", "read"], env)).code).toBe(0)
    const list = (await hive(["token", "list"], env)).stdout
    expect(list).toMatch(/alice\s+agent:alice\s/)
    expect(list).toMatch(/dash\s+read\s/)
    // A second token for the same agent does not add it again.
    expect((await hive(["token", "create", "--agent", "alice"], env)).stderr).not.toContain("added agent")
  })

  test("once tokens exist, a missing master key is an error, never a silent new key", async () => {
    const env = cliEnv()
    await hive(["token", "create", "--name", "a"], env)
    const moved = { ...env, XDG_CONFIG_HOME: join(env.HOME, "elsewhere") }
    for (const args of [["token", "create", "--name", "b"], ["serve"]]) {
      const res = await hive(args, moved)
      expect(res.code).toBe(1)
      expect(res.stderr).toContain(join(env.HOME, "elsewhere", "hive", "master.key"))
      expect(res.stderr).toContain("Restore the key file")
    }
    expect(existsSync(join(env.HOME, "elsewhere", "hive", "master.key"))).toBe(false)
  })
})

describe("hive serve", () => {
  test("logs to logs/hive-YYYY-MM-DD.log as well as stderr (0600), keeping the newest HIVE_LOG_KEEP files", async () => {
    const env = { ...cliEnv(), HIVE_LOG_KEEP: "2" }
    const logs = join(env.HIVE_HOME, "logs")
    mkdirSync(logs, { recursive: true })
    for (const day of ["2026-01-01", "2026-01-02", "2026-01-03"]) writeFileSync(join(logs, `hive-${day}.log`), `${day} old\n`)
    writeFileSync(join(logs, "hook.log"), "the hook's own log stays\n")
    const server = await startServer(["bun", MAIN], env)
    try {
      const today = `hive-${new Date().toISOString().slice(0, 10)}.log`
      const file = join(logs, today)
      expect(readFileSync(file, "utf8")).toContain(`listening on ${server.url}`)
      expect(server.log()).toContain(`listening on ${server.url}`)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(readdirSync(logs).sort()).toEqual(["hive-2026-01-03.log", today, "hook.log"].sort())
    } finally {
      server.proc.kill()
      await server.proc.exited
    }
  })

  test("migrates, serves /health and the token-guarded API, and finishes in-flight requests on SIGTERM", async () => {
    const env = cliEnv()
    const token = (await hive(["token", "create", "--name", "serve-test"], env)).stdout.trim()
    const server = await startServer(["bun", MAIN], env)
    try {
      const health = await fetch(`${server.url}/health`)
      expect(await health.json()).toEqual({ status: "ok", version: pkg.version, schema_version: migrations.length, database: "ok" })
      const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" }
      expect((await fetch(`${server.url}/api/projects`)).status).toBe(401)

      // A request whose body is still arriving when the signal comes must still be answered.
      let send!: (s: string) => void
      let finish!: () => void
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          send = (s) => controller.enqueue(new TextEncoder().encode(s))
          finish = () => controller.close()
        },
      })
      const inFlight = fetch(`${server.url}/api/projects`, { method: "POST", headers: auth, body, duplex: "half" } as RequestInit)
      send('{"name":"in flight",')
      await Bun.sleep(200)
      server.proc.kill("SIGTERM")
      await Bun.sleep(200)
      send('"directory":"/in/flight"}')
      finish()
      const res = await inFlight
      expect(res.status).toBe(201)
      expect(await server.proc.exited).toBe(0)
      await server.drained
      expect(server.log()).toContain("SIGTERM: finishing in-flight requests")
      expect(server.log()).toContain("stopped")
    } finally {
      server.proc.kill("SIGKILL")
    }
    // Closed cleanly: the WAL was folded back and the row is there.
    expect(existsSync(join(env.HIVE_HOME, "hive.db-wal"))).toBe(false)
    const db = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
    expect(db.query("SELECT name FROM projects").all()).toEqual([{ name: "in flight" }])
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" })
    db.close()
  })
})

describe("clear failures instead of stack traces", () => {
  test("a second serve on a port in use fails with a clear message instead of sharing the port", async () => {
    const env = cliEnv()
    const first = await startServer(["bun", MAIN], env)
    try {
      const port = new URL(first.url).port
      const second = await hive(["serve", "--port", port], env)
      expect(second.code).toBe(1)
      expect(second.stderr).toContain(`127.0.0.1:${port} is already in use (is hive already running?)`)
    } finally {
      first.proc.kill("SIGTERM")
      await first.proc.exited
    }
  })

  test("a listening server answers oversized bodies with its JSON 413, declared length or chunked", async () => {
    const env = { ...cliEnv(), HIVE_MAX_BODY_BYTES: "1000" }
    const token = (await hive(["token", "create", "--name", "big"], env)).stdout.trim()
    const server = await startServer(["bun", MAIN], env)
    try {
      const big = "x".repeat(300_000)
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
      const chunked = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(big))
          c.close()
        },
      })
      for (const body of [big, chunked]) {
        const res = await fetch(`${server.url}/api/projects`, { method: "POST", headers, body, duplex: "half" } as RequestInit)
        expect(res.status).toBe(413)
        expect(await res.json()).toEqual({ error: { code: "payload_too_large", message: "request body exceeds the limit of 1000 bytes" } })
      }
    } finally {
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
  })

  test("status and dry-run on a corrupt database say so instead of crashing", async () => {
    const env = cliEnv()
    mkdirSync(env.HIVE_HOME, { recursive: true })
    writeFileSync(join(env.HIVE_HOME, "hive.db"), "definitely not sqlite ".repeat(300))
    for (const args of [
      ["migrate", "status"],
      ["migrate", "--dry-run"],
    ]) {
      const res = await hive(args, env)
      expect(res.code).toBe(1)
      expect(res.stderr).toContain("is not a readable SQLite database")
      expect(res.stderr).not.toContain("    at ")
    }
  })

  test("a data home that cannot be created is a clear error", async () => {
    const env = cliEnv()
    writeFileSync(join(env.HOME, "a-file"), "")
    const res = await hive(["migrate"], { ...env, HIVE_HOME: join(env.HOME, "a-file", "hive") })
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`cannot use the data home ${join(env.HOME, "a-file", "hive")}`)
  })
})

describe("shutdown with live event streams", () => {
  test("SIGTERM ends open SSE streams and the server exits promptly and cleanly", async () => {
    const env = cliEnv()
    const token = (await hive(["token", "create", "--name", "sse"], env)).stdout.trim()
    const server = await startServer(["bun", MAIN], env)
    try {
      const res = await fetch(`${server.url}/api/events/stream`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
      const reader = res.body!.getReader()
      await reader.read()
      const started = Date.now()
      server.proc.kill("SIGTERM")
      expect(await server.proc.exited).toBe(0)
      expect(Date.now() - started).toBeLessThan(5000) // the force-close fallback is 10 s
      for (;;) if ((await reader.read()).done) break
    } finally {
      server.proc.kill("SIGKILL")
    }
  })
})
