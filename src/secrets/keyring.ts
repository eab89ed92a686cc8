import { hkdfSync, randomBytes } from "node:crypto"
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"

export const KEY_BYTES = 32

export type MasterKeySource = { base64?: string; file: string }
export type MasterKey = { key: Uint8Array; source: string; created: boolean }

/** The key is missing, malformed or unsafe: commands refuse to start and print this message. */
export class KeyError extends Error {}

function decode(text: string, where: string): Uint8Array {
  const trimmed = text.trim()
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, "base64") : Buffer.alloc(0)
  if (bytes.length !== KEY_BYTES)
    throw new KeyError(`the master key from ${where} is not ${KEY_BYTES} bytes of base64; fix it or restore the original key`)
  return new Uint8Array(bytes)
}

/**
 * Loads the master key from HIVE_MASTER_KEY or the key file. Creates the file (mode 0600, atomically,
 * so two processes starting at once agree on one key) only when `mayCreate` says nothing depends on
 * an existing key; otherwise a missing key is an error, never a silent new key.
 */
export function loadMasterKey(src: MasterKeySource, opts: { mayCreate: boolean; whyNeeded?: string }): MasterKey {
  if (src.base64) return { key: decode(src.base64, "HIVE_MASTER_KEY"), source: "HIVE_MASTER_KEY", created: false }
  const existing = readKeyFile(src.file)
  if (existing) return { key: existing, source: src.file, created: false }
  if (!opts.mayCreate)
    throw new KeyError(
      `no master key: HIVE_MASTER_KEY is not set and ${src.file} does not exist, but ${opts.whyNeeded ?? "this database depends on one"}. ` +
        "Restore the key file (or set HIVE_MASTER_KEY to its base64 value); a new key cannot read what the old one protected.",
    )
  return { key: createKeyFile(src.file), source: src.file, created: true }
}

function readKeyFile(file: string): Uint8Array | undefined {
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
  return decode(readFileSync(file, "utf8"), file)
}

function createKeyFile(file: string): Uint8Array {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const key = new Uint8Array(randomBytes(KEY_BYTES))
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(temp, Buffer.from(key).toString("base64") + "\n", { mode: 0o600, flag: "wx" })
  chmodSync(temp, 0o600)
  try {
    // link() fails if the name exists: of two processes racing, exactly one key wins and both use it.
    linkSync(temp, file)
    return key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
    return decode(readFileSync(file, "utf8"), file)
  } finally {
    unlinkSync(temp)
  }
}

export type Purpose = "jwt" | "secrets" | "pairing"

/** A sub-key per purpose (HKDF-SHA256), so the master key itself never signs or encrypts anything. */
export function deriveKey(master: Uint8Array, purpose: Purpose, length = KEY_BYTES): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", master, "hive", `hive/${purpose}/v1`, length))
}
