import { describe, expect, test } from "bun:test"
import { createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto"
import vectors from "../fixtures/envelope-vectors.json"
import { CipherError, keyIdOf, open, OVERHEAD, seal, type Location } from "../../src/secrets/cipher"
import { deriveKey, parseGenerations } from "../../src/secrets/keyring"

const key = new Uint8Array(randomBytes(32))
const keyId = new Uint8Array([1, 2, 3, 4])
const keyFor = (id: string) => (id === "01020304" ? key : undefined)
const here: Location = { table: "secrets", row: "agent_token:alice", column: "envelope" }
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe("the envelope cipher", () => {
  test("round-trips, and the ciphertext does not contain the plaintext", () => {
    const plaintext = "super-secret-token-value"
    const envelope = seal(key, keyId, bytes(plaintext), here)
    expect(envelope.length).toBe(plaintext.length + OVERHEAD)
    expect(envelope[0]).toBe(1)
    expect(keyIdOf(envelope)).toBe("01020304")
    expect(Buffer.from(envelope).includes(Buffer.from(plaintext))).toBe(false)
    expect(text(open(keyFor, envelope, here))).toBe(plaintext)
  })

  test("flipping any single byte makes it fail as corrupted (or unknown key, for the key id bytes)", () => {
    const envelope = seal(key, keyId, bytes("value"), here)
    for (let i = 0; i < envelope.length; i++) {
      const bad = envelope.slice()
      bad[i]! ^= 0x01
      const err = (() => {
        try {
          open(keyFor, bad, here)
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(CipherError)
      expect((err as CipherError).kind).toBe(i === 0 ? "malformed" : i <= 4 ? "unknown_key" : "corrupted")
    }
  })

  test("a value moved to another row, column or table fails to decrypt", () => {
    const envelope = seal(key, keyId, bytes("value"), here)
    for (const elsewhere of [
      { ...here, row: "agent_token:bob" },
      { ...here, column: "other" },
      { ...here, table: "operator_oauth_tokens" },
    ])
      expect(() => open(keyFor, envelope, elsewhere)).toThrow("authentication failed")
  })

  test("the wrong key fails as corrupted, never returns garbage", () => {
    const envelope = seal(key, keyId, bytes("value"), here)
    expect(() => open(() => new Uint8Array(randomBytes(32)), envelope, here)).toThrow(CipherError)
  })

  test("keys other than 32 bytes and nonces other than 12 are refused (AES-128/192 are not allowed)", () => {
    for (const n of [16, 24, 31, 33]) expect(() => seal(new Uint8Array(n), keyId, bytes("x"), here)).toThrow("32-byte key")
    for (const n of [8, 16, 24]) expect(() => seal(key, keyId, bytes("x"), here, new Uint8Array(n))).toThrow("12 bytes")
    expect(() => open(() => new Uint8Array(16), seal(key, keyId, bytes("x"), here), here)).toThrow("32-byte key")
  })

  test("100,000 encryptions of the same value use 100,000 distinct nonces", () => {
    const nonces = new Set<string>()
    const value = bytes("same")
    for (let i = 0; i < 100_000; i++) nonces.add(Buffer.from(seal(key, keyId, value, here).subarray(5, 17)).toString("hex"))
    expect(nonces.size).toBe(100_000)
  }, 60_000)
})

describe("the documented envelope (docs/envelope.md)", () => {
  test("node:crypto alone opens the checked-in vectors", () => {
    const master = Buffer.from(vectors.master_key, "base64")
    expect(createHmac("sha256", master).update("hive/key-id/v1").digest("hex").slice(0, 8)).toBe(vectors.key_id)
    const aesKey = Buffer.from(hkdfSync("sha256", master, "hive", "hive/secrets/v1", 32))
    for (const v of vectors.vectors) {
      const envelope = Buffer.from(v.envelope, "base64")
      expect(envelope[0]).toBe(1)
      expect(envelope.subarray(1, 5).toString("hex")).toBe(vectors.key_id)
      const decipher = createDecipheriv("aes-256-gcm", aesKey, envelope.subarray(5, 17))
      decipher.setAAD(Buffer.concat([envelope.subarray(0, 5), Buffer.from(`${v.table}\0${v.row}\0${v.column}`, "utf8")]))
      decipher.setAuthTag(envelope.subarray(envelope.length - 16))
      const plain = Buffer.concat([decipher.update(envelope.subarray(17, envelope.length - 16)), decipher.final()])
      expect(plain.toString("utf8")).toBe(v.plaintext)
    }
  })

  test("hive's cipher opens them too, and reproduces them byte for byte from the same nonce", () => {
    const g = parseGenerations(vectors.master_key, "vectors")[0]!
    const aesKey = deriveKey(g.key, "secrets")
    vectors.vectors.forEach((v, i) => {
      const envelope = new Uint8Array(Buffer.from(v.envelope, "base64"))
      expect(text(open((id) => (id === g.id ? aesKey : undefined), envelope, v))).toBe(v.plaintext)
      const nonce = new Uint8Array(12).map((_, j) => i * 16 + j)
      expect(Buffer.from(seal(aesKey, Buffer.from(g.id, "hex"), bytes(v.plaintext), v, nonce)).toString("base64")).toBe(v.envelope)
    })
  })
})
