import { describe, expect, test } from "bun:test"
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { vacuumInto } from "../../src/db/backup"
import { HiveError } from "../../src/errors"
import { createLogger } from "../../src/log"
import { parseGenerations } from "../../src/secrets/keyring"
import { tempDir, testApp } from "../helpers"
import { OAuthTokens } from "../../src/secrets/oauth"
import { rotateMasterKey } from "../../src/secrets/rotation"

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
/** Every file a copy of the data could leak from: the database, its WAL, and any backups. */
function rawFiles(home: string) {
  const files = ["hive.db", "hive.db-wal"].map((f) => join(home, f)).filter(existsSync)
  const backups = join(home, "backups")
  if (existsSync(backups)) files.push(...readdirSync(backups).map((f) => join(backups, f)))
  return files.map((f) => ({ f, data: readFileSync(f) }))
}
const leaks = (home: string, needle: Uint8Array | string) =>
  rawFiles(home)
    .filter(({ data }) => data.includes(Buffer.from(needle)))
    .map(({ f }) => f)

describe("the vault", () => {
  test("set and reveal round-trip; the audit log records who did what, never the value", async () => {
    const { vault, stores } = await testApp()
    const meta = vault.putSecret("agent_token:alice", bytes("pat-alice-123"), "test:me")
    expect(meta).toMatchObject({ name: "agent_token:alice", size: 13, key_id: expect.stringMatching(/^[0-9a-f]{8}$/) })
    expect(text(vault.revealSecret("agent_token:alice", "test:me"))).toBe("pat-alice-123")
    const log = stores.audit.list({}).items
    expect(log.map((e) => [e.action, e.subject, e.actor])).toEqual([
      ["set", "secret:agent_token:alice", "test:me"],
      ["reveal", "secret:agent_token:alice", "test:me"],
    ])
    expect(JSON.stringify(log)).not.toContain("pat-alice-123")
  })

  test("no plaintext reaches the database, the WAL or a backup, through set, update, delete and rotate", async () => {
    const { vault, db, home } = await testApp()
    const canaries = ["CANARY-set-7f3a9c", "CANARY-update-51be02", "CANARY-oauth-c0ffee", "CANARY-refresh-d00d"]
    vault.putSecret("a", bytes(canaries[0]!), "t")
    vault.putSecret("b", bytes("CANARY-deleted-0000"), "t")
    vault.putSecret("a", bytes(canaries[1]!), "t")
    new OAuthTokens(vault.sealer).put("gitlab", { access_token: canaries[2]!, refresh_token: canaries[3]! }, "t")
    vault.deleteSecret("b", "t")
    vacuumInto(db, join(home, "backups"), "test")
    rotateMasterKey(vault.sealer, "t")
    vacuumInto(db, join(home, "backups"), "after-rotate")
    expect(rawFiles(home).length).toBeGreaterThanOrEqual(3)
    for (const c of [...canaries, "CANARY-deleted-0000"]) expect(leaks(home, c)).toEqual([])
  })

  test("an overwritten or deleted value leaves no old ciphertext in the database or WAL", async () => {
    const { vault, db, home } = await testApp()
    vault.putSecret("x", bytes("first value"), "t")
    const first = db.query<{ envelope: Uint8Array }, []>("SELECT envelope FROM secrets WHERE name = 'x'").get()!.envelope
    expect(leaks(home, first).length).toBeGreaterThan(0)
    vault.putSecret("x", bytes("second value"), "t")
    expect(leaks(home, first)).toEqual([])
    const second = db.query<{ envelope: Uint8Array }, []>("SELECT envelope FROM secrets WHERE name = 'x'").get()!.envelope
    vault.deleteSecret("x", "t")
    expect(leaks(home, second)).toEqual([])
  })

  test("a tampered or moved ciphertext is reported as corrupted, naming the secret, never returned", async () => {
    const { vault, db } = await testApp()
    vault.putSecret("one", bytes("value one"), "t")
    vault.putSecret("two", bytes("value two"), "t")
    db.run("UPDATE secrets SET envelope = (SELECT envelope FROM secrets WHERE name = 'one') WHERE name = 'two'")
    expect(() => vault.revealSecret("two", "t")).toThrow("secret two cannot be decrypted: authentication failed")
    const env = db.query<{ envelope: Uint8Array }, []>("SELECT envelope FROM secrets WHERE name = 'one'").get()!.envelope
    const tampered = new Uint8Array(env)
    tampered[20]! ^= 0xff
    db.run("UPDATE secrets SET envelope = ? WHERE name = 'one'", [tampered])
    const err = (() => {
      try {
        vault.revealSecret("one", "t")
      } catch (e) {
        return e as HiveError
      }
    })()!
    expect(err).toBeInstanceOf(HiveError)
    expect(err.kind).toBe("secret_corrupted")
    expect(err.status).toBe(409)
    expect(err.message).toBe("secret one cannot be decrypted: authentication failed (the stored value was altered or moved); set it again")
  })

  test("materialize writes the plaintext atomically with mode 0600, never through a symlink", async () => {
    const { vault } = await testApp()
    const dir = tempDir()
    vault.putSecret("penpot_api_token", bytes("penpot-123"), "t")
    const path = join(dir, "penpot-token")
    vault.materialize("penpot_api_token", path, "t")
    expect(readFileSync(path, "utf8")).toBe("penpot-123")
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir)).toEqual(["penpot-token"])
    writeFileSync(join(dir, "target"), "untouched")
    symlinkSync(join(dir, "target"), join(dir, "link"))
    expect(() => vault.materialize("penpot_api_token", join(dir, "link"), "t")).toThrow("is a symlink")
    expect(readFileSync(join(dir, "target"), "utf8")).toBe("untouched")
    expect(() => vault.materialize("penpot_api_token", "relative/path", "t")).toThrow("absolute path")
  })

  test("materialize by prefix writes one file per agent", async () => {
    const { vault } = await testApp()
    for (const agent of ["alice", "bob"]) vault.putSecret(`agent_token:${agent}`, bytes(`pat-${agent}`), "t")
    vault.putSecret("penpot_api_token", bytes("not an agent"), "t")
    const dir = join(tempDir(), "tokens")
    const { written } = vault.materializePrefix("agent_token:", dir, "t")
    expect(written.map((w) => w.name)).toEqual(["agent_token:alice", "agent_token:bob"])
    expect(readdirSync(dir).sort()).toEqual(["alice", "bob"])
    expect(readFileSync(join(dir, "bob"), "utf8")).toBe("pat-bob")
    expect(lstatSync(dir).mode & 0o777).toBe(0o700)
  })

  test("rotation re-seals every value under a new generation and keeps the old one only while a token needs it", async () => {
    const { vault, keyFile, stores, tokenId, db } = await testApp()
    vault.putSecret("s1", bytes("one"), "t")
    new OAuthTokens(vault.sealer).put("github", { access_token: "gh-access", refresh_token: null, account: "me" }, "t")
    const before = parseGenerations(readFileSync(keyFile, "utf8"), keyFile)
    const first = rotateMasterKey(vault.sealer, "t")
    expect(first).toMatchObject({ resumed: false, generation: 2, resealed: 2, retired: [] })
    expect(first.kept).toEqual([{ id: before[0]!.id, because: "1 api tokens" }])
    expect(text(vault.revealSecret("s1", "t"))).toBe("one")
    expect(new OAuthTokens(vault.sealer).reveal("github", "t")).toMatchObject({ access_token: "gh-access", account: "me" })
    const keyIds = db.query<{ key_id: string }, []>("SELECT key_id FROM secrets UNION SELECT key_id FROM operator_oauth_tokens").all()
    expect(keyIds).toEqual([{ key_id: first.to }])

    stores.tokens.revoke(tokenId)
    const second = rotateMasterKey(vault.sealer, "t")
    expect(second.generation).toBe(3)
    expect(second.retired.sort()).toEqual([before[0]!.id, first.to].sort())
    expect(parseGenerations(readFileSync(keyFile, "utf8"), keyFile).map((g) => g.generation)).toEqual([3])
    expect(text(vault.revealSecret("s1", "t"))).toBe("one")
  })

  test("encryptions are counted per key generation, with a warning well before the nonce limit", async () => {
    const lines: string[] = []
    const { vault, stores, keys } = await testApp({ vault: { warnAt: 3, logger: createLogger("info", (l) => void lines.push(l)) } })
    for (let i = 0; i < 5; i++) vault.putSecret(`s${i}`, bytes(`secret-value-${i}`), "t")
    expect(stores.keys.usage()).toEqual([expect.objectContaining({ key_id: keys.current().id, encryptions: 5 })])
    expect(lines.filter((l) => l.includes("rotate it soon"))).toHaveLength(1)
    expect(lines.join("")).not.toContain("secret-value")
  })
})

describe("a running server and a rotation by another process", () => {
  test("after the CLI rotates and retires the old key, the server seals new values with the new generation", async () => {
    const { vault, config, stores, tokenId } = await testApp()
    stores.tokens.revoke(tokenId) // so the rotation can retire the first generation
    vault.putSecret("before", bytes("v1"), "t")
    // Another process's view of the same files: its own keyring and vault over the same database.
    const { unlock } = await import("../../src/secrets/unlock")
    const { createVault } = await import("../../src/secrets/vault")
    const { createStores } = await import("../../src/db/stores")
    const { open } = await import("../../src/db/open")
    const otherDb = open(config.dbPath)
    const otherStores = createStores(otherDb)
    const cli = createVault(otherDb, otherStores, unlock(config, otherStores))
    const report = rotateMasterKey(cli.sealer, "cli")
    expect(report.retired).toHaveLength(1)

    const after = vault.putSecret("after", bytes("v2"), "t")
    expect(after.key_id).toBe(report.to)
    expect(text(cli.revealSecret("after", "cli"))).toBe("v2")
    expect(text(vault.revealSecret("before", "t"))).toBe("v1")
    otherDb.close()
  })
})
