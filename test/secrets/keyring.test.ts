import { describe, expect, test } from "bun:test"
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { deriveKey, KeyError, loadKeyring, parseGenerations } from "../../src/secrets/keyring"
import { ROOT, tempDir } from "../helpers"

describe("the master key", () => {
  test("is created once as 32 random bytes, mode 0600, and read back unchanged", () => {
    const file = join(tempDir(), "cfg", "hive", "master.key")
    const made = loadKeyring({ file }, { mayCreate: true })
    expect(made.created).toBe(true)
    expect(made.current.key.length).toBe(32)
    expect(made.current.generation).toBe(1)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = loadKeyring({ file }, { mayCreate: true })
    expect(again.created).toBe(false)
    expect(Buffer.from(again.current.key).equals(Buffer.from(made.current.key))).toBe(true)
  })

  test("HIVE_MASTER_KEY wins over the file and must be 32 bytes of base64", () => {
    const file = join(tempDir(), "master.key")
    const key = Buffer.alloc(32, 7)
    expect(Buffer.from(loadKeyring({ base64: key.toString("base64"), file }, { mayCreate: false }).current.key).equals(key)).toBe(true)
    expect(() => loadKeyring({ base64: "c2hvcnQ=", file }, { mayCreate: false })).toThrow("from HIVE_MASTER_KEY is not 32 bytes of base64")
    expect(() => loadKeyring({ base64: "not base64 at all!", file }, { mayCreate: false })).toThrow(KeyError)
  })

  test("a missing key is an error when something depends on it, naming where it looked", () => {
    const file = join(tempDir(), "gone.key")
    expect(() => loadKeyring({ file }, { mayCreate: false, whyNeeded: "tokens exist" })).toThrow(`${file} does not exist, but tokens exist`)
  })

  test("a key file others can read is refused; a malformed one is refused", () => {
    const dir = tempDir()
    const open = join(dir, "open.key")
    writeFileSync(open, Buffer.alloc(32).toString("base64"))
    chmodSync(open, 0o644)
    expect(() => loadKeyring({ file: open }, { mayCreate: true })).toThrow(`run \`chmod 600 ${open}\``)
    const bad = join(dir, "bad.key")
    writeFileSync(bad, "hello", { mode: 0o600 })
    expect(() => loadKeyring({ file: bad }, { mayCreate: true })).toThrow("is not 32 bytes of base64")
    expect(readFileSync(bad, "utf8")).toBe("hello")
  })

  test("processes creating the key at the same moment all end up with one key", async () => {
    const file = join(tempDir(), "race", "master.key")
    const script = `import { loadKeyring } from "${join(ROOT, "src/secrets/keyring.ts")}"; const k = loadKeyring({ file: ${JSON.stringify(file)} }, { mayCreate: true }); console.log(Buffer.from(k.current.key).toString("hex"))`
    const procs = Array.from({ length: 4 }, () => Bun.spawn(["bun", "-e", script], { stdout: "pipe" }))
    const keys = await Promise.all(procs.map((p) => new Response(p.stdout).text()))
    expect(new Set(keys.map((k) => k.trim())).size).toBe(1)
    expect(keys[0]!.trim()).toBe(Buffer.from(parseGenerations(readFileSync(file, "utf8"), file)[0]!.key).toString("hex"))
  })

  test("sub-keys differ per purpose and are stable for one master key", () => {
    const master = new Uint8Array(32).fill(1)
    const jwt = Buffer.from(deriveKey(master, "jwt"))
    expect(jwt.length).toBe(32)
    expect(jwt.equals(Buffer.from(deriveKey(master, "jwt")))).toBe(true)
    expect(jwt.equals(Buffer.from(deriveKey(master, "secrets")))).toBe(false)
    expect(jwt.equals(Buffer.from(master))).toBe(false)
  })
})

describe("sub-key derivation", () => {
  test("is HKDF-SHA256 exactly as node:crypto computes it, for every purpose and length", async () => {
    const { hkdfSync } = await import("node:crypto")
    const master = new Uint8Array(32).map((_, i) => i * 11 + 5)
    for (const purpose of ["jwt", "secrets", "pairing"] as const)
      for (const length of [16, 32, 33, 64, 100])
        expect(Buffer.from(deriveKey(master, purpose, length)).equals(Buffer.from(hkdfSync("sha256", master, "hive", `hive/${purpose}/v1`, length)))).toBe(true)
  })
})
