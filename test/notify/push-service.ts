import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from "node:crypto"

/**
 * A push service on 127.0.0.1, as a browser vendor runs one: it hands out subscriptions (an endpoint, the
 * browser's P-256 key and auth secret), and for each message checks the VAPID signature (RFC 8292) and
 * decrypts the payload with the subscription's private key (RFC 8291, aes128gcm of RFC 8188), written here
 * from the RFCs so it shares no code with the sender.
 */
export type Received = {
  id: string
  payload: unknown
  vapid: { key: string; aud: string; sub: string; exp: number }
  ttl: string | null
  urgency: string | null
}

const b64u = (b: Buffer | Uint8Array) => Buffer.from(b).toString("base64url")
const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest()

function decrypt(body: Buffer, ua: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const salt = body.subarray(0, 16)
  const rs = body.readUInt32BE(16)
  const idlen = body[20]!
  const asPublic = body.subarray(21, 21 + idlen)
  const record = body.subarray(21 + idlen)
  if (record.length > rs) throw new Error("more than one record")
  const shared = ua.computeSecret(asPublic)
  const prkKey = hmac(authSecret, shared)
  const ikm = hmac(prkKey, Buffer.concat([Buffer.from("WebPush: info\0"), ua.getPublicKey(), asPublic, Buffer.from([1])]))
  const prk = hmac(salt, ikm)
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01", "latin1")).subarray(0, 16)
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01", "latin1")).subarray(0, 12)
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()])
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  if (padded[end] !== 2) throw new Error("no last-record delimiter")
  return padded.subarray(0, end).toString("utf8")
}

/** The VAPID `Authorization: vapid t=<JWT>, k=<key>` header, its ES256 signature checked against k. */
function checkVapid(header: string | null) {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? "")
  if (!m) throw new Error(`not a VAPID authorization: ${header}`)
  const [, jwt, k] = m as unknown as [string, string, string]
  const raw = Buffer.from(k, "base64url")
  const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) }, format: "jwk" })
  const [h, p, s] = jwt.split(".") as [string, string, string]
  if (JSON.parse(Buffer.from(h, "base64url").toString()).alg !== "ES256") throw new Error("not ES256")
  if (!verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url"))) throw new Error("bad VAPID signature")
  return { key: k, ...(JSON.parse(Buffer.from(p, "base64url").toString()) as { aud: string; sub: string; exp: number }) }
}

export function startPushService() {
  const subscriptions = new Map<string, { ua: ReturnType<typeof createECDH>; auth: Buffer }>()
  const received: Received[] = []
  const rejected: string[] = []
  /** Subscriptions that answer 410 Gone, as for a browser that unsubscribed. */
  const gone = new Set<string>()
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const id = url.pathname.replace(/^\/push\//, "")
      const sub = subscriptions.get(id)
      if (!sub) return new Response(null, { status: 404 })
      if (gone.has(id)) return new Response(null, { status: 410 })
      try {
        const vapid = checkVapid(req.headers.get("authorization"))
        if (vapid.aud !== url.origin) throw new Error(`aud ${vapid.aud} is not ${url.origin}`)
        if (req.headers.get("content-encoding") !== "aes128gcm") throw new Error("not aes128gcm")
        const payload = JSON.parse(decrypt(Buffer.from(await req.arrayBuffer()), sub.ua, sub.auth))
        received.push({ id, payload, vapid, ttl: req.headers.get("ttl"), urgency: req.headers.get("urgency") })
        return new Response(null, { status: 201 })
      } catch (err) {
        rejected.push((err as Error).message)
        return new Response((err as Error).message, { status: 400 })
      }
    },
  })
  return {
    received,
    rejected,
    gone,
    /** A new subscription, as PushSubscription.toJSON() gives it. */
    subscribe() {
      const ua = createECDH("prime256v1")
      ua.generateKeys()
      const auth = randomBytes(16)
      const id = randomBytes(8).toString("hex")
      subscriptions.set(id, { ua, auth })
      return { id, endpoint: `http://127.0.0.1:${server.port}/push/${id}`, keys: { p256dh: b64u(ua.getPublicKey()), auth: b64u(auth) } }
    },
    stop: () => server.stop(true),
  }
}
