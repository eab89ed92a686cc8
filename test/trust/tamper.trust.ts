import { Database } from "bun:sqlite"
import { expect, test } from "bun:test"
import { renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cliEnv, hive } from "../helpers"

test("ciphertext tampered or moved by raw file edits, a wrong key, a missing key: refused clearly, nothing revealed", async () => {
  const env = { ...cliEnv(), HIVE_MASTER_KEY: "" }
  for (const [name, value] of [
    ["first", "value-one"],
    ["second", "value-two"],
  ] as const)
    expect((await hive(["secrets", "set", name], env, value)).code).toBe(0)
  const dbPath = join(env.HIVE_HOME, "hive.db")
  const edit = (fn: (db: Database) => void) => {
    const db = new Database(dbPath)
    fn(db)
    db.close()
  }
  const envelope = (db: Database, name: string) => (db.query("SELECT envelope FROM secrets WHERE name = ?").get(name) as { envelope: Uint8Array }).envelope
  const refused = async (what: string, args: string[], message: RegExp, e = env) => {
    const r = await hive(args, e)
    expect(r.code, what).toBe(1)
    expect(r.stderr, what).toMatch(message)
    expect(r.stdout + r.stderr, what).not.toMatch(/value-one|value-two/)
    expect(r.stderr, what).not.toContain("    at ")
  }

  // A flipped byte in the ciphertext.
  let original!: Uint8Array
  edit((db) => {
    original = envelope(db, "first")
    const flipped = new Uint8Array(original)
    flipped[flipped.length - 20]! ^= 1
    db.run("UPDATE secrets SET envelope = ? WHERE name = 'first'", [flipped])
  })
  await refused("tampered", ["secrets", "get", "first"], /secret first cannot be decrypted: authentication failed/)
  // The intact envelope of one secret copied onto another (same key, another row): refused too.
  edit((db) => db.run("UPDATE secrets SET envelope = ? WHERE name = 'first'", [envelope(db, "second")]))
  await refused("moved", ["secrets", "get", "first"], /secret first cannot be decrypted: authentication failed/)
  edit((db) => db.run("UPDATE secrets SET envelope = ? WHERE name = 'first'", [original]))
  expect((await hive(["secrets", "get", "first"], env)).stdout).toBe("value-one")

  // Another key in the key file: every command that needs the key refuses before decrypting anything.
  const keyFile = join(env.XDG_CONFIG_HOME, "hive", "master.key")
  renameSync(keyFile, `${keyFile}.real`)
  writeFileSync(keyFile, Buffer.alloc(32, 9).toString("base64"), { mode: 0o600 })
  await refused("wrong key", ["secrets", "get", "first"], /is not the one this database needs/)
  await refused("wrong key (serve)", ["serve", "--port", "0"], /is not the one this database needs/)
  // No key at all: refused, and no new key is made over the existing ciphertext.
  renameSync(keyFile, `${keyFile}.wrong`)
  await refused("missing key", ["secrets", "get", "first"], /master key/)
  expect(await Bun.file(keyFile).exists()).toBe(false)
  renameSync(`${keyFile}.real`, keyFile)
  expect((await hive(["secrets", "get", "second"], env)).stdout).toBe("value-two")
  console.log("tamper: flipped byte, moved envelope, wrong key, missing key: all refused, nothing revealed")
}, 120_000)
