import { SIGNATURE_HEADERS, signedText } from "../src/auth/signatures"

/** A phone's signing key as the phone page makes it (P-256 in Web Crypto, private half not extractable). */
export type PhoneKey = {
  /** What the phone registers at pairing (`signing_key`). */
  publicKey: string
  /** The headers that sign one request, as the page's sign.js makes them; `at` overrides the time or nonce. */
  sign(method: string, url: string, body?: string | Uint8Array, at?: { time?: number; nonce?: string }): Promise<Record<string, string>>
}

export async function phoneKey(): Promise<PhoneKey> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
  const publicKey = Buffer.from(await crypto.subtle.exportKey("raw", pair.publicKey)).toString("base64url")
  return {
    publicKey,
    async sign(method, url, body = "", at = {}) {
      const u = new URL(url, "http://phone.invalid")
      const time = String(at.time ?? Date.now())
      const nonce = at.nonce ?? Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url")
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body
      const text = await signedText(method, u.pathname + u.search, time, nonce, bytes)
      const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, new TextEncoder().encode(text))
      return {
        [SIGNATURE_HEADERS.time]: time,
        [SIGNATURE_HEADERS.nonce]: nonce,
        [SIGNATURE_HEADERS.signature]: Buffer.from(signature).toString("base64url"),
      }
    },
  }
}

/** A phone that has paired: fetch-like calls with its cookie, changes signed with its key. */
export function phoneClient(o: {
  base: string
  cookie: string
  key: PhoneKey
  extra?: Record<string, string>
  fetch?: (r: Request) => Promise<Response> | Response
}) {
  return async (method: string, path: string, body?: unknown, init: RequestInit = {}) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const signed = method === "GET" ? {} : await o.key.sign(method, path, text)
    const headers = { cookie: o.cookie, ...o.extra, ...(text === undefined ? {} : { "content-type": "application/json" }), ...signed }
    const request = new Request(`${o.base}${path}`, { ...init, method, headers: { ...headers, ...(init.headers as Record<string, string>) }, body: text })
    return (o.fetch ?? fetch)(request)
  }
}
