import type * as Aes from "@noble/ciphers/aes.js"

// @noble/ciphers builds its AES tables when first imported (~7 ms): loaded on the first seal or open,
// not at every start of the binary (most commands and most server starts never touch a secret).
let aes: typeof Aes | undefined
const gcm = (...args: Parameters<typeof Aes.gcm>) => (aes ??= require("@noble/ciphers/aes.js") as typeof Aes).gcm(...args)
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n))

// The envelope every encrypted value is stored as (docs/envelope.md says how to open it by hand):
//   version (1 byte) | key id (4 bytes) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
// The additional authenticated data is the 5-byte header followed by "table\0row\0column", so a
// value copied into another row or column, or given another key id, fails authentication.
export const VERSION = 1
export const KEY_BYTES = 32
export const KEY_ID_BYTES = 4
export const NONCE_BYTES = 12
export const TAG_BYTES = 16
export const HEADER_BYTES = 1 + KEY_ID_BYTES
export const OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES

/** Where a ciphertext lives; part of what it is authenticated against. */
export type Location = { table: string; row: string; column: string }

export type CipherFailure = "malformed" | "unknown_key" | "corrupted"

/** A value could not be opened. `kind` says why; the message never includes key material or plaintext. */
export class CipherError extends Error {
  constructor(
    readonly kind: CipherFailure,
    message: string,
  ) {
    super(message)
  }
}

const encoder = new TextEncoder()

export function additionalData(header: Uint8Array, where: Location): Uint8Array {
  const place = encoder.encode(`${where.table}\0${where.row}\0${where.column}`)
  const out = new Uint8Array(header.length + place.length)
  out.set(header)
  out.set(place, header.length)
  return out
}

function checkKey(key: Uint8Array) {
  // @noble/ciphers would also take 16- and 24-byte keys (AES-128/192); hive promises AES-256 only.
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key`)
}

/** Encrypts with a fresh random 96-bit nonce (a nonce may be passed only to reproduce test vectors). */
export function seal(key: Uint8Array, keyId: Uint8Array, plaintext: Uint8Array, where: Location, nonce: Uint8Array = randomBytes(NONCE_BYTES)): Uint8Array {
  checkKey(key)
  if (keyId.length !== KEY_ID_BYTES) throw new RangeError(`a key id is ${KEY_ID_BYTES} bytes`)
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`AES-GCM nonces here are ${NONCE_BYTES} bytes`)
  const header = new Uint8Array(HEADER_BYTES)
  header[0] = VERSION
  header.set(keyId, 1)
  const sealed = gcm(key, nonce, additionalData(header, where)).encrypt(plaintext)
  const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + sealed.length)
  out.set(header)
  out.set(nonce, HEADER_BYTES)
  out.set(sealed, HEADER_BYTES + NONCE_BYTES)
  return out
}

/** The key id an envelope was sealed with, as hex; throws on something that is not an envelope. */
export function keyIdOf(envelope: Uint8Array): string {
  if (envelope.length < OVERHEAD || envelope[0] !== VERSION) throw new CipherError("malformed", "not a hive envelope (wrong version or too short)")
  return Buffer.from(envelope.subarray(1, HEADER_BYTES)).toString("hex")
}

/** Decrypts and authenticates; `keyFor` maps a key id (hex) to its key. Never returns unauthenticated bytes. */
export function open(keyFor: (keyId: string) => Uint8Array | undefined, envelope: Uint8Array, where: Location): Uint8Array {
  const keyId = keyIdOf(envelope)
  const key = keyFor(keyId)
  if (!key) throw new CipherError("unknown_key", `sealed with key ${keyId}, which is not in the keyring`)
  checkKey(key)
  const header = envelope.subarray(0, HEADER_BYTES)
  const nonce = envelope.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)
  try {
    return gcm(key, nonce, additionalData(header, where)).decrypt(envelope.subarray(HEADER_BYTES + NONCE_BYTES))
  } catch {
    throw new CipherError("corrupted", "authentication failed: the value was altered, moved, or sealed with another key")
  }
}

/** Plaintext length of an envelope, for metadata listings. */
export const plaintextSize = (envelopeBytes: number) => Math.max(0, envelopeBytes - OVERHEAD)
