import * as Pairing from "../db/pairing"
import { HiveError } from "../errors"
import type { Keys } from "../secrets/keys"
import type { Auth } from "./jwt"
import { checkSignature, SIGNATURE_WINDOW_MS } from "./signatures"

/** A pairing window stays open this long. */
export const WINDOW_MS = 2 * 60_000

const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes as Uint8Array).toString("hex")

/** Six decimal digits, uniform (rejection sampling, not a modulo of a random int). */
function sixDigits(): string {
  for (;;) {
    const n = crypto.getRandomValues(new Uint32Array(1))[0]!
    if (n < 4_294_000_000) return String(n % 1_000_000).padStart(6, "0")
  }
}

/**
 * Compares two digests (hex of the same length) in time that does not depend on where they differ.
 * Hand-written rather than node:crypto's timingSafeEqual: loading node:crypto costs a server ~4 MB.
 */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * Opening windows and redeeming them for a device. Only keyed hashes (HMAC with the pairing sub-key) of the
 * secret and the code reach the database; guesses are compared in constant time, counted atomically, and
 * the window closes after the fifth wrong one.
 */
export function createPairing(keys: Keys, store: Pairing.Store, auth: Auth, opts: { deviceTtlMs: number; now?: () => number }) {
  const now = opts.now ?? Date.now
  const digest = (text: string) => hex(new Bun.CryptoHasher("sha256", keys.subKey(keys.current(), "pairing")).update(text).digest())
  return {
    /** A new window (closing any open one): the secret and code are returned once and never stored. */
    open(ttlMs = WINDOW_MS) {
      const id = Bun.randomUUIDv7()
      const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url")
      const code = sixDigits()
      const w = store.open({ id, secretHash: digest(`secret:${secret}`), codeHash: digest(`code:${id}:${code}`), now: now(), ttlMs })
      return { id, secret, code, expires_at: w.expires_at }
    },
    /** Exchanges the secret (from the QR code) or the code for a device and its token. */
    async redeem(
      proof: { secret?: string; code?: string },
      device: { name: string | null; platform: string | null; userAgent: string | null; signingKey: string },
    ) {
      const at = now()
      const w = store.attempt(at)
      if (!w) throw new HiveError(403, "pairing_closed", "no pairing is open (it expired, was used, or closed after too many attempts): run `hive pair` again")
      if (w.attempts > Pairing.MAX_ATTEMPTS) {
        store.close(w.id, at)
        throw new HiveError(429, "too_many_attempts", "too many attempts: this pairing is closed; run `hive pair` again")
      }
      const right =
        (proof.secret !== undefined && same(digest(`secret:${proof.secret}`), w.secret_hash)) ||
        (proof.code !== undefined && same(digest(`code:${w.id}:${proof.code}`), w.code_hash))
      if (!right) {
        if (w.attempts >= Pairing.MAX_ATTEMPTS) store.close(w.id, at)
        throw new HiveError(401, "wrong_pairing_proof", `wrong pairing secret or code (${Math.max(0, Pairing.MAX_ATTEMPTS - w.attempts)} attempts left)`)
      }
      // Signed before the row is written, so the row records the generation that signed it (key rotation keeps it).
      const id = Bun.randomUUIDv7()
      const issued = await auth.issueDevice(id, opts.deviceTtlMs)
      const paired = store.pair(w.id, { id, ...device, keyId: issued.keyId, tokenExpiresAt: issued.expiresAt }, at)
      if (!paired) throw new HiveError(403, "pairing_closed", "this pairing was already used: run `hive pair` again")
      return { device: paired, token: issued.token }
    },
    /** A paired device's change: signed with its key, in the time window, with a nonce not seen before (or a 401). */
    async checkSignature(deviceId: string, request: Request, body: Uint8Array) {
      const at = now()
      await checkSignature({
        request,
        body,
        key: store.signingKey(deviceId),
        now: at,
        useNonce: (nonce) => store.useNonce(deviceId, nonce, at, 2 * SIGNATURE_WINDOW_MS),
      })
    },
  }
}

export type PairingService = ReturnType<typeof createPairing>
