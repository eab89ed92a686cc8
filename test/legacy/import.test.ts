import type { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { chmodSync, cpSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { migrations } from "../../migrations"
import { hashToken } from "../../migrations/005_import_reply_tokens"
import * as Config from "../../src/config"
import { apply } from "../../src/db/migrate"
import { preparedOnUse } from "../../src/db/lazy"
import { open } from "../../src/db/open"
import * as Audit from "../../src/db/audit"
import * as Keys from "../../src/db/keys"
import * as OAuth from "../../src/db/oauth"
import * as Secrets from "../../src/db/secrets"
import * as Tokens from "../../src/db/tokens"
import { unlock } from "../../src/secrets/unlock"
import { createVault } from "../../src/secrets/vault"
import { hive } from "../helpers"
import { legacyHome } from "./home"

const count = (db: Database, table: string) => db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n

describe("legacy imports", () => {
  test("every file is imported, verified, reported and deleted; credentials are stored encrypted or hashed", async () => {
    const h = legacyHome()
    const res = await hive(["migrate", ...h.flags], h.env)
    // All that is said on stderr: the older app's open ~/.hive was made private, and a master key was made
    // for the imported credentials.
    expect(res.stderr).toMatch(
      /^hive: \S+ could be read by other users: made it 0700 and its files 0600 \(\d+ changed\)\n\S+ INFO {2}created a new master key at \S+; back it up, it is not part of ~\/\.hive backups\n$/,
    )
    expect(res.code).toBe(0)
    for (const [name, path] of Object.entries(h.files)) {
      expect({ name, exists: existsSync(path) }).toEqual({ name, exists: false })
      expect(res.stdout).toContain(`${path}: deleted, all`)
    }
    expect(res.stdout).toContain(`${h.files.sessions}: imported 3`)
    expect(res.stdout).toContain(`${h.files.preferences}: imported 6`)

    const db = h.db()
    const sessions = db
      .query(
        "SELECT agent_session_id, label, pid, ppid, notify, transport_kind, transport_details, state, created_at, expires_at FROM sessions ORDER BY agent_session_id",
      )
      .all() as Record<string, unknown>[]
    expect(sessions).toHaveLength(3)
    expect(sessions[0]).toMatchObject({
      label: "hive ✨ refactor",
      pid: 41233,
      ppid: 41200,
      notify: 1,
      transport_kind: "tmux",
      state: "active",
      created_at: Date.parse("2026-02-09T08:00:00.000Z"),
    })
    expect(sessions[1]).toMatchObject({ label: "日本語のラベル", transport_kind: "nvim", notify: 0 })
    expect(sessions[2]).toMatchObject({ transport_kind: "unknown", state: "active" })
    expect(JSON.parse(sessions[2]!.transport_details as string)).toEqual({ host: "devbox", legacy_kind: "ssh" })

    expect(db.query("SELECT token_hash, chat_id, expires_at FROM session_tokens ORDER BY chat_id").all()).toEqual([
      { token_hash: hashToken("CANARYREPLYTOKEN0002"), chat_id: -1001234567890, expires_at: Date.parse("2026-02-09T10:00:00.000Z") + 86_400_000 },
      { token_hash: hashToken("CANARYREPLYTOKEN0001"), chat_id: 123456, expires_at: Date.parse("2026-02-10T08:00:00.000Z") },
    ])
    expect(db.query("SELECT key, session_id FROM claude_sdk_sessions ORDER BY key").all()).toEqual([
      { key: "forgejo:alice:acme/widgets:12", session_id: "sdk-session-aaa" },
      { key: "github:bob:acme/gadgets:7", session_id: "sdk-session-bbb" },
    ])
    expect(db.query("SELECT value FROM preferences WHERE key = 'recentDirectories'").get()).toEqual({
      value: JSON.stringify(["/home/dev/projects/hive", "/home/dev/projects/日本語"]),
    })
    expect(db.query("SELECT id, platform, revoked_at IS NOT NULL AS revoked FROM paired_devices ORDER BY id").all()).toEqual([
      { id: "dev-iphone", platform: "ios", revoked: 0 },
      { id: "dev-old", platform: "android", revoked: 1 },
    ])
    db.close()

    // Secrets decrypt to the files' exact bytes (the trailing newline included) ...
    expect((await hive(["secrets", "get", "agent_token:alice"], h.env)).stdout).toBe("CANARY-forgejo-pat-alice\n")
    expect((await hive(["secrets", "get", "agent_token:bob"], h.env)).stdout).toBe("CANARY-forgejo-pat-bob")
    expect((await hive(["secrets", "get", "penpot_api_token"], h.env)).stdout).toBe("CANARY-penpot-token-1\n")
    expect(JSON.parse((await hive(["oauth", "get", "gitlab"], h.env)).stdout)).toMatchObject({
      access_token: "CANARY-gitlab-access-7c1e",
      refresh_token: "CANARY-gitlab-refresh-9d2f",
      scope: "api read_user",
      expires_at: (1770600000 + 7200) * 1000,
    })
    // ... and no credential is in the output or in the database's raw bytes.
    for (const file of ["hive.db", "hive.db-wal"].map((f) => join(h.env.HIVE_HOME, f)).filter(existsSync))
      expect(readFileSync(file).includes(Buffer.from("CANARY"))).toBe(false)
    expect(res.stdout + res.stderr).not.toContain("CANARY")

    // Running again changes nothing.
    expect((await hive(["migrate", ...h.flags], h.env)).stdout).toContain("already up to date")
  })

  test("--dry-run lists every legacy file found with what it would import, and changes nothing", async () => {
    const h = legacyHome()
    const res = await hive(["migrate", "--dry-run", ...h.flags], h.env)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`${h.files.sessions} (Claude-Code-Remote session registry): 3 entries to import; deleted once verified`)
    expect(res.stdout).toContain(`${h.files.replyTokens} (Claude-Code-Remote reply tokens): 2 entries to import`)
    expect(res.stdout).toContain(`${h.files.alice} (token for agent_token:alice): 1 entries to import`)
    expect(res.stdout).not.toContain("CANARY")
    for (const path of Object.values(h.files)) expect(existsSync(path)).toBe(true)
    expect(existsSync(join(h.env.HIVE_HOME, "hive.db"))).toBe(false)
  })

  test("truncated JSON stops that migration with file, line and column; nothing of it is imported; fixing it and re-running imports it", async () => {
    const h = legacyHome()
    const good = readFileSync(h.files.sessions, "utf8")
    writeFileSync(h.files.sessions, good.slice(0, 400))
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(
      new RegExp(
        `migration 004_import_claude_sessions failed: ${h.files.sessions.replaceAll("/", "\\/")} \\(Claude-Code-Remote session registry\\) is not valid JSON: \\w+ at line \\d+, column \\d+; nothing of it was imported and it was left in place`,
      ),
    )
    expect(readFileSync(h.files.sessions, "utf8")).toBe(good.slice(0, 400))
    const db = h.db()
    expect(count(db, "sessions")).toBe(0)
    expect(db.query("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({ v: 3 })
    db.close()
    writeFileSync(h.files.sessions, good)
    expect((await hive(["migrate", ...h.flags], h.env)).code).toBe(0)
    expect(count(h.db(), "sessions")).toBe(3)
  })

  test("an entry of the wrong shape names the entry and the field", async () => {
    const h = legacyHome()
    writeFileSync(h.files.sdk, JSON.stringify({ "a:b:c:1": { id: "ok" }, "a:b:c:2": { id: 42 } }))
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`${h.files.sdk} (claude-hooks SDK session map) has a malformed entry "a:b:c:2": "id" must be a string, got 42`)
    expect(count(h.db(), "claude_sdk_sessions")).toBe(0)
  })

  test("a credential file that must stay is tightened to 0600, and its value is never printed", async () => {
    const h = legacyHome()
    writeFileSync(h.files.gitlab, '{"access_token": "CANARY-half')
    chmodSync(h.files.gitlab, 0o644)
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(1)
    expect(statSync(h.files.gitlab).mode & 0o777).toBe(0o600)
    expect(res.stdout + res.stderr).not.toContain("CANARY")
  })

  test("an empty file is imported as nothing and removed; duplicate keys are counted once", async () => {
    const h = legacyHome()
    writeFileSync(h.files.replyTokens, "")
    writeFileSync(h.files.sdk, '{ "k:a:r:1": { "id": "first" }, "k:a:r:1": { "id": "second" }, "k:a:r:2": { "id": "x" } }')
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(0)
    expect(existsSync(h.files.replyTokens)).toBe(false)
    expect(res.stdout).toContain(`${h.files.replyTokens}: imported 0`)
    expect(res.stdout).toContain(`${h.files.sdk}: imported 2, duplicates 1`)
    // JSON's rule: the last occurrence of a key wins.
    expect(h.db().query("SELECT session_id FROM claude_sdk_sessions WHERE key = 'k:a:r:1'").get()).toEqual({ session_id: "second" })
  })

  test("symlinks are reported, never followed and never deleted", async () => {
    const h = legacyHome()
    const target = join(h.root, "real-sessions.json")
    cpSync(h.files.sdk, target)
    const before = readFileSync(target)
    const { unlinkSync } = await import("node:fs")
    unlinkSync(h.files.sdk)
    symlinkSync(target, h.files.sdk)
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`${h.files.sdk}: skipped, it is a symlink; hive neither follows nor deletes symlinks`)
    expect(statSync(h.files.sdk, { throwIfNoEntry: false })).toBeDefined()
    expect(readFileSync(target).equals(before)).toBe(true)
    expect(count(h.db(), "claude_sdk_sessions")).toBe(0)
  })

  test("a file whose value differs from what hive already holds is kept and reported, not overwritten", async () => {
    const h = legacyHome()
    // A hive from before the imports existed (schema 3) that already holds agent_token:alice.
    const config = Config.load({}, h.env)
    const db = open(config.dbPath)
    await apply(db, migrations.slice(0, 3))
    // Only the stores a schema-3 database has tables for.
    const lazy = preparedOnUse(db)
    const stores = { keys: Keys.create(lazy), tokens: Tokens.create(lazy), secrets: Secrets.create(lazy), oauth: OAuth.create(lazy), audit: Audit.create(lazy) }
    createVault(db, stores, unlock(config, stores)).putSecret("agent_token:alice", new TextEncoder().encode("newer-value-set-in-hive"), "test")
    db.close()
    chmodSync(h.files.alice, 0o644)
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`${h.files.alice}: imported 0, conflicts 1`)
    expect(res.stdout).toContain(`${h.files.alice}: kept, 1 of 1 entries differ from what the database holds; resolve them`)
    expect(existsSync(h.files.alice)).toBe(true)
    expect(statSync(h.files.alice).mode & 0o777).toBe(0o600)
    expect((await hive(["secrets", "get", "agent_token:alice"], h.env)).stdout).toBe("newer-value-set-in-hive")
    expect(existsSync(h.files.bob)).toBe(false)
  })

  for (const [migration, file, table] of [
    ["4", "sessions", "sessions"],
    ["8", "penpot", "secrets"],
  ] as const)
    for (const point of ["before-commit", "after-commit", "after-unlink"])
      test(`a crash at ${point} of migration ${migration} converges: each entry imported once, the file deleted only after its rows committed`, async () => {
        const h = legacyHome()
        const crashed = await hive(["migrate", ...h.flags], { ...h.env, HIVE_TEST_FAULT: `${migration}:${point}` })
        expect(crashed.code).not.toBe(0)
        const path = h.files[file]
        const db = h.db()
        const rows = count(db, table)
        db.close()
        if (point === "before-commit") expect(rows).toBe(0)
        // The file may be gone only if its rows are committed.
        if (!existsSync(path)) expect(rows).toBeGreaterThan(0)
        expect(existsSync(path)).toBe(point !== "after-unlink")

        const again = await hive(["migrate", ...h.flags], h.env)
        expect(again.code).toBe(0)
        expect(existsSync(path)).toBe(false)
        expect(count(h.db(), table)).toBe(table === "sessions" ? 3 : 3)
        expect((await hive(["secrets", "get", "agent_token:alice"], h.env)).stdout).toBe("CANARY-forgejo-pat-alice\n")
      })

  test("legacy files found after the imports ran (or pointed at later) are imported by an explicit hive migrate", async () => {
    const h = legacyHome()
    const first = await hive(["migrate"], { ...h.env, HIVE_HOME: `${h.env.HIVE_HOME}-x` })
    expect(first.code).toBe(0)
    const home = { ...h.env, HIVE_HOME: `${h.env.HIVE_HOME}-x` }
    const dry = await hive(["migrate", "--dry-run", ...h.flags], home)
    expect(dry.stdout).toContain("import again 004_import_claude_sessions")
    expect(dry.stdout).not.toContain("import again 003_secrets")
    const res = await hive(["migrate", ...h.flags], home)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain("ran again 004_import_claude_sessions")
    expect(res.stdout).toContain("backed up the database to")
    expect(existsSync(h.files.sessions)).toBe(false)
    expect((await hive(["secrets", "get", "agent_token:bob"], home)).stdout).toBe("CANARY-forgejo-pat-bob")
    expect((await hive(["migrate", ...h.flags], home)).stdout).toContain("already up to date")
  })

  test("a session registry of 100,000 sessions imports", async () => {
    const h = legacyHome()
    const sessions: Record<string, unknown> = {}
    for (let i = 0; i < 100_000; i++)
      sessions[`session-${i}`] = {
        pid: i,
        ppid: 1,
        cwd: `/p/${i}`,
        label: `s${i}`,
        notify: i % 2 === 0,
        transport: { kind: "pty", details: {} },
        state: "active",
        created_at: "2026-02-09T08:00:00.000Z",
      }
    writeFileSync(h.files.sessions, JSON.stringify({ sessions }))
    const res = await hive(["migrate", ...h.flags], h.env)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`${h.files.sessions}: imported 100000`)
    expect(res.stdout).toContain(`${h.files.sessions}: deleted, all 100000 entries verified`)
    expect(count(h.db(), "sessions")).toBe(100_000)
  }, 120_000)
})
