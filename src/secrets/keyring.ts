import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import { FatalError } from "../errors"

export const KEY_BYTES = 32

export type MasterKeySource = { base64?: string; file: string }

/** One master key generation. `id` (8 hex chars) is a fingerprint of the key, stored in every envelope it seals. */
export type Generation = { generation: number; key: Uint8Array; id: string }

export type Keyring = {
  /** "HIVE_MASTER_KEY" or the key file's path: what messages name when the key is wrong or missing. */
  source: string
  /** Only a key file can be rotated; a key in the environment is the operator's to change. */
  file?: string
  /** Newest first; the first one seals everything new. */
  generations: Generation[]
  current: Generation
  byId(id: string): Generation | undefined
  created: boolean
}

/** The key is missing, malformed, wrong or unsafe: commands refuse to start and print this message. */
/** The master key is missing, unreadable or not this database's: a FatalError (exit 1). */
export class KeyError extends FatalError {}

// Bun's native HMAC rather than node:crypto, whose import alone costs ~4 ms of every start of the binary.
const hmac = (key: Uint8Array, data: Uint8Array | string) => new Uint8Array(new Bun.CryptoHasher("sha256", key).update(data).digest())
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n))
const fingerprint = (key: Uint8Array) => Buffer.from(hmac(key, "hive/key-id/v1")).toString("hex").slice(0, 8)

function decode(text: string, where: string): Uint8Array {
  const trimmed = text.trim()
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, "base64") : Buffer.alloc(0)
  if (bytes.length !== KEY_BYTES) throw new KeyError(`the master key from ${where} is not ${KEY_BYTES} bytes of base64; fix it or restore the original key`)
  return new Uint8Array(bytes)
}

/**
 * Key file: one `<generation> <base64>` line per generation, newest first (`#` comments allowed).
 * A file holding a bare base64 line is generation 1. HIVE_MASTER_KEY takes the same as `gen:base64`
 * pairs separated by commas or spaces, or a bare base64 key.
 */
export function parseGenerations(text: string, where: string): Generation[] {
  const entries = text
    .split("\n")
    .filter((line) => !line.trim().startsWith("#"))
    .flatMap((line) => line.split(","))
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 0) throw new KeyError(`the master key from ${where} is empty`)
  const generations = entries.map((entry) => {
    const m = /^(\d+)[ :]+(\S+)$/.exec(entry)
    const generation = m ? Number(m[1]) : 1
    const key = decode(m ? m[2]! : entry, where)
    return { generation, key, id: fingerprint(key) }
  })
  if (new Set(generations.map((g) => g.generation)).size !== generations.length) throw new KeyError(`the master key from ${where} lists a generation twice`)
  return generations.sort((a, b) => b.generation - a.generation)
}

const render = (generations: Generation[]) =>
  "# hive master key: keep it secret and back it up; it is never inside ~/.hive or its backups.\n" +
  "# One line per generation, newest first. Do not edit by hand; use `hive secrets rotate-key`.\n" +
  generations.map((g) => `${g.generation} ${Buffer.from(g.key).toString("base64")}\n`).join("")

function keyring(generations: Generation[], source: string, file: string | undefined, created: boolean): Keyring {
  const byId = new Map(generations.map((g) => [g.id, g]))
  return { source, file, generations, current: generations[0]!, byId: (id) => byId.get(id), created }
}

/**
 * Loads the master key from HIVE_MASTER_KEY or the key file. Creates the file (mode 0600, atomically,
 * so two processes starting at once agree on one key) only when `mayCreate` says nothing depends on
 * an existing key; otherwise a missing key is an error, never a silent new key.
 */
export function loadKeyring(src: MasterKeySource, opts: { mayCreate: boolean; whyNeeded?: string }): Keyring {
  if (src.base64) return keyring(parseGenerations(src.base64, "HIVE_MASTER_KEY"), "HIVE_MASTER_KEY", undefined, false)
  const existing = readKeyFile(src.file)
  if (existing) return keyring(existing, src.file, src.file, false)
  if (!opts.mayCreate)
    throw new KeyError(
      `no master key: HIVE_MASTER_KEY is not set and ${src.file} does not exist, but ${opts.whyNeeded ?? "this database depends on one"}. ` +
        "Restore the key file (or set HIVE_MASTER_KEY to its contents); a new key cannot read what the old one protected.",
    )
  return keyring(createKeyFile(src.file), src.file, src.file, true)
}

function readKeyFile(file: string): Generation[] | undefined {
  let mode: number
  try {
    mode = statSync(file).mode
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw new KeyError(`cannot read the master key file ${file}: ${(err as Error).message}`)
  }
  // Like ssh with a private key: a key others can read is a leaked key, so say so instead of using it.
  if (process.platform !== "win32" && (mode & 0o077) !== 0)
    throw new KeyError(`the master key file ${file} is readable by other users; run \`chmod 600 ${file}\``)
  return parseGenerations(readFileSync(file, "utf8"), file)
}

function writeTemp(file: string, text: string): string {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`
  const fd = openSync(temp, "wx", 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  chmodSync(temp, 0o600)
  return temp
}

function createKeyFile(file: string): Generation[] {
  const key = randomBytes(KEY_BYTES)
  const temp = writeTemp(file, render([{ generation: 1, key, id: fingerprint(key) }]))
  try {
    // link() fails if the name exists: of two processes racing, exactly one key wins and both use it.
    linkSync(temp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
  } finally {
    unlinkSync(temp)
  }
  return readKeyFile(file)!
}

/** Rewrites the key file atomically (temp file, fsync, rename): a crash leaves the old or the new file, never half. */
function replaceKeyFile(ring: Keyring, generations: Generation[]): Keyring {
  if (!ring.file) throw new KeyError("the master key comes from HIVE_MASTER_KEY; rotate it by setting a new value (see README)")
  renameSync(writeTemp(ring.file, render(generations)), ring.file)
  return keyring(generations, ring.source, ring.file, false)
}

/** Adds a new generation in front: it seals everything from now on; older ones still open what they sealed. */
export function addGeneration(ring: Keyring): Keyring {
  const key = randomBytes(KEY_BYTES)
  const next = { generation: ring.current.generation + 1, key, id: fingerprint(key) }
  return replaceKeyFile(ring, [next, ...ring.generations])
}

/** Drops generations nothing references any more; the current one always stays. */
export function retireUnused(ring: Keyring, referenced: ReadonlySet<string>): { ring: Keyring; retired: Generation[] } {
  const keep = ring.generations.filter((g) => g === ring.current || referenced.has(g.id))
  const retired = ring.generations.filter((g) => !keep.includes(g))
  return retired.length ? { ring: replaceKeyFile(ring, keep), retired } : { ring, retired }
}

export type Purpose = "jwt" | "secrets" | "pairing" | "backup"

/**
 * A sub-key per purpose, so the master key itself never signs or encrypts anything: HKDF-SHA256
 * (RFC 5869) with salt "hive" and info "hive/<purpose>/v1" — node:crypto's hkdfSync gives the same bytes
 * (test/secrets/cipher.test.ts checks it against the documented vectors).
 */
export function deriveKey(master: Uint8Array, purpose: Purpose, length = KEY_BYTES): Uint8Array {
  const info = new TextEncoder().encode(`hive/${purpose}/v1`)
  const prk = hmac(new TextEncoder().encode("hive"), master)
  const out = new Uint8Array(length)
  let block = new Uint8Array(0)
  for (let i = 1, at = 0; at < length; i++) {
    block = hmac(prk, new Uint8Array([...block, ...info, i]))
    out.set(block.subarray(0, Math.min(block.length, length - at)), at)
    at += block.length
  }
  return out
}
