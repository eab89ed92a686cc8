import { HiveError } from "../errors"

/**
 * A paired phone signs every change it asks for (issue 19): TLS ends at the tunnel server, so its operator
 * sees the device cookie, and the cookie alone must not be enough to approve, answer or type into a terminal.
 * The page holds a non-extractable P-256 key (Web Crypto, in IndexedDB) whose public half it registered at
 * pairing; it signs the method, the path with its query, the time, a nonce and the body's SHA-256. hive
 * refuses a signature that does not verify, one outside the time window, and a nonce it has seen.
 */
export const SIGNATURE_HEADERS = { time: "x-hive-time", nonce: "x-hive-nonce", signature: "x-hive-signature" } as const
/** How far a phone's clock may be from hive's; nonces are kept twice as long. */
export const SIGNATURE_WINDOW_MS = 120_000

const b64u = (bytes: Uint8Array | ArrayBuffer) => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString("base64url")

/** What is signed for one request: exactly these lines, joined by "\n". */
export async function signedText(method: string, pathAndQuery: string, time: string, nonce: string, body: Uint8Array): Promise<string> {
  const hash = b64u(await crypto.subtle.digest("SHA-256", body as Uint8Array<ArrayBuffer>))
  return ["hive-phone-v1", method.toUpperCase(), pathAndQuery, time, nonce, hash].join("\n")
}

/** Whether a registered key is an uncompressed P-256 point (65 bytes, 0x04 first), base64url. */
export function signingKeyError(key: unknown): string | null {
  if (typeof key !== "string" || !/^[A-Za-z0-9_-]{86,88}$/.test(key)) return "must be the P-256 public key's raw point, base64url"
  const raw = Buffer.from(key, "base64url")
  return raw.length === 65 && raw[0] === 4 ? null : "must be the P-256 public key's raw point (65 bytes, uncompressed), base64url"
}

const imported = new Map<string, Promise<CryptoKey>>()
const verifier = (key: string) => {
  let k = imported.get(key)
  if (!k) {
    k = crypto.subtle.importKey("raw", Buffer.from(key, "base64url"), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
    // A handful of phones: the cache stays small; a bad key is not kept.
    k.catch(() => imported.delete(key))
    imported.set(key, k)
  }
  return k
}

/** Throws the 401 that says what is wrong with a change's signature, or returns when it is good and new. */
export async function checkSignature(o: {
  request: Request
  body: Uint8Array
  /** The device's registered key; null for one paired before signatures. */
  key: string | null
  now: number
  /** Records the nonce; false when the device used it before. */
  useNonce: (nonce: string) => boolean
}): Promise<void> {
  if (o.key === null)
    throw new HiveError(401, "signature_required", "this phone paired before hive asked phones to sign their changes: pair it again (run `hive pair`)")
  const h = o.request.headers
  const time = h.get(SIGNATURE_HEADERS.time)
  const nonce = h.get(SIGNATURE_HEADERS.nonce)
  const signature = h.get(SIGNATURE_HEADERS.signature)
  if (!time || !nonce || !signature)
    throw new HiveError(
      401,
      "signature_required",
      `a change from a phone must be signed with the key it paired with (headers ${Object.values(SIGNATURE_HEADERS).join(", ")}); the phone page does this`,
    )
  if (!/^\d{1,15}$/.test(time) || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || !/^[A-Za-z0-9_-]{86}$/.test(signature))
    throw new HiveError(401, "bad_signature", "the request's signature headers are malformed")
  const skew = Number(time) - o.now
  if (Math.abs(skew) > SIGNATURE_WINDOW_MS)
    throw new HiveError(
      401,
      "signature_expired",
      `the signature's time is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? "behind" : "ahead of"} hive's clock (at most ${SIGNATURE_WINDOW_MS / 1000} s): an old request, or the phone's clock is wrong`,
    )
  const url = new URL(o.request.url)
  const text = await signedText(o.request.method, url.pathname + url.search, time, nonce, o.body)
  const good = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    await verifier(o.key),
    Buffer.from(signature, "base64url"),
    new TextEncoder().encode(text),
  )
  if (!good) throw new HiveError(401, "bad_signature", "the request's signature does not verify with this phone's key")
  if (!o.useNonce(nonce)) throw new HiveError(401, "replayed", "this request was already made once (its nonce was used): a replay is refused")
}
