import { forbidden, unauthorized } from "../errors"
import type * as Tokens from "../db/tokens"
import type { Keys } from "../secrets/keys"
import { type Principal, SCOPES, type Scope } from "./scopes"

export const ISSUER = "hive"
export const ADMIN_AUDIENCE = "hive-admin"
/** Paired phones get tokens of their own audience; they are never accepted on the admin API. */
export const DEVICE_AUDIENCE = "hive-device"
/** A desk sign-in link's token (`hive desk`): exchanged once for a desk session, never accepted as a credential. */
export const DESK_LINK_AUDIENCE = "hive-desk-link"
export const ALGORITHMS = ["HS256"]
const MAX_TOKEN_CHARS = 4096
const CACHE_LIMIT = 10_000

/** `scope` and `agent` are absent from tokens issued before scopes existed: those are admin tokens. */
export type Claims = { jti: string; sub: string; aud: string; iss: string; iat: number; exp: number; scope?: Scope; agent?: string }

/** What a token may do: an admin token everything; an agent token speaks as its agent (src/auth/scopes.ts). */
export type Grant = { scope: "admin" | "hooks" | "read"; agent?: undefined } | { scope: "agent"; agent: string }

/** Who the claims of a verified token say the caller is. */
export function principalOf(claims: Claims): Principal {
  const scope = claims.scope ?? "admin"
  return { scope, agent: scope === "agent" ? (claims.agent ?? null) : null, name: claims.sub, tokenId: claims.jti }
}

type Signer = {
  sign(claims: Record<string, unknown>): Promise<string>
  verify(token: string, options: Record<string, unknown>): Promise<Record<string, unknown> | false>
}

/**
 * @elysiajs/jwt's sign/verify, used outside a request too (the CLI issues tokens). `kid` names the key generation.
 * Loaded on the first token signed or checked: the plugin brings Elysia with it, which `hive serve` loads only
 * once its API is called (src/front.ts).
 */
async function signer(key: Uint8Array, kid: string): Promise<Signer> {
  const { jwt } = await import("@elysiajs/jwt")
  const plugin = jwt({ name: "jwt", secret: key, alg: "HS256", iss: ISSUER, kid })
  return (plugin.decorator as unknown as { jwt: Signer }).jwt
}

/** The key generation a token names in its header (absent in tokens issued before generations existed). */
function kidOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as { kid?: unknown }
    return typeof header.kid === "string" ? header.kid : undefined
  } catch {
    throw unauthorized("invalid or expired token")
  }
}

// jose accepts any HMAC algorithm for a symmetric key unless told otherwise, so every verify names
// the one algorithm, the issuer, the audience and the claims a token must carry.
const strict = (audience: string) => ({ algorithms: ALGORITHMS, issuer: ISSUER, audience, requiredClaims: ["exp", "iat", "jti", "sub"] })

/** Whether a paired device may still use its token (its row is the revocation list). */
export type DeviceState = (id: string) => "active" | "revoked" | "unknown"

export function createAuth(keys: Keys, tokens: Tokens.Store, now: () => number = Date.now, deviceState: DeviceState = () => "unknown") {
  const signers = new Map<string, Promise<Signer>>()
  /** The signer of a key generation; a token without a kid was signed by the oldest one. */
  async function signerFor(kid: string | undefined): Promise<Signer | undefined> {
    const g = kid === undefined ? keys.ring().generations.at(-1) : keys.byId(kid)
    if (!g) return undefined
    let s = signers.get(g.id)
    if (!s) signers.set(g.id, (s = signer(keys.subKey(g, "jwt"), g.id)))
    return s
  }
  // Signature validity depends only on the token and the key, and the key is fixed for the process,
  // so a verified token's claims can be reused; expiry and revocation are still checked every time.
  const verified = new Map<string, Claims>()

  async function verifyUncached(token: string): Promise<Claims> {
    const sign = await signerFor(kidOf(token))
    if (!sign) throw unauthorized("invalid or expired token")
    const claims = (await sign.verify(token, strict(ADMIN_AUDIENCE))) as Claims | false
    if (!claims || typeof claims.jti !== "string") {
      if (await sign.verify(token, strict(DEVICE_AUDIENCE))) throw forbidden("a device token cannot be used on the admin API")
      throw unauthorized("invalid or expired token")
    }
    // Signed by this install, so only a bug could make these odd; an odd scope must never fall back to admin.
    const scoped = claims.scope !== undefined || claims.agent !== undefined
    if (scoped && (!SCOPES.includes(claims.scope!) || (claims.scope === "agent") !== (typeof claims.agent === "string")))
      throw unauthorized("invalid or expired token")
    if (verified.size >= CACHE_LIMIT) verified.clear()
    verified.set(token, claims)
    return accept(token, claims)
  }

  /** Expiry and revocation, checked on every request, cached signature or not. */
  function accept(token: string, claims: Claims): Claims {
    if (claims.exp * 1000 <= now()) {
      verified.delete(token)
      throw unauthorized("invalid or expired token")
    }
    const state = tokens.state(claims.jti)
    if (state === "revoked") throw unauthorized("this token has been revoked")
    if (state === "unknown") throw unauthorized("this token is not known to this hive")
    return claims
  }

  return {
    /** Issues a token (an admin token unless `grant` says otherwise); the row (not the token) is what `hive token list` shows. */
    async issue(name: string, ttlMs: number, grant: Grant = { scope: "admin" }) {
      const createdAt = now()
      const g = keys.current()
      const row = tokens.issue({
        id: Bun.randomUUIDv7(),
        name,
        createdAt,
        expiresAt: createdAt + ttlMs,
        keyId: g.id,
        scope: grant.scope,
        agent: grant.agent ?? null,
      })
      const token = await (await signerFor(g.id))!.sign({
        sub: name,
        aud: ADMIN_AUDIENCE,
        jti: row.id,
        iat: Math.floor(createdAt / 1000),
        exp: Math.floor(row.expires_at / 1000),
        // An admin token carries no scope, as every token before scopes did.
        ...(grant.scope === "admin" ? {} : { scope: grant.scope }),
        ...(grant.agent === undefined ? {} : { agent: grant.agent }),
      })
      return { token, row }
    },

    /**
     * A paired device's token: its own audience (refused on the admin API), its id as subject and jti. Returns
     * what it pins too: the generation that signed it, until it expires (see paired_devices.key_id).
     */
    async issueDevice(deviceId: string, ttlMs: number) {
      const g = keys.current()
      const at = now()
      const exp = Math.floor((at + ttlMs) / 1000)
      const token = await (await signerFor(g.id))!.sign({ sub: deviceId, aud: DEVICE_AUDIENCE, jti: deviceId, iat: Math.floor(at / 1000), exp })
      return { token, keyId: g.id, expiresAt: exp * 1000 }
    },

    /** The phone guard: the device id of a valid, unexpired device token whose device is not revoked, or a 401. */
    async checkDevice(token: string | undefined): Promise<string> {
      if (!token) throw unauthorized("this device is not paired: scan the pairing QR code again")
      if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_.-]+$/.test(token)) throw unauthorized("invalid or expired device token")
      const sign = await signerFor(kidOf(token))
      const claims = sign ? ((await sign.verify(token, strict(DEVICE_AUDIENCE))) as Claims | false) : false
      if (!claims || typeof claims.jti !== "string" || claims.exp * 1000 <= now()) throw unauthorized("invalid or expired device token")
      const state = deviceState(claims.jti)
      if (state === "revoked") throw unauthorized("this device was revoked; pair it again")
      if (state === "unknown") throw unauthorized("this device is not known to this hive")
      return claims.jti
    },

    /**
     * A desk sign-in link: an admin grant of its own audience, short-lived, redeemed once by `redeemLink`. Its row
     * in api_tokens is what makes it single use (redeeming revokes it) and shows it in `hive token list`.
     */
    async issueLink(ttlMs: number) {
      const createdAt = now()
      const g = keys.current()
      const row = tokens.issue({ id: Bun.randomUUIDv7(), name: "desk link", createdAt, expiresAt: createdAt + ttlMs, keyId: g.id, scope: "admin", agent: null })
      const token = await (await signerFor(g.id))!.sign({
        sub: row.name,
        aud: DESK_LINK_AUDIENCE,
        jti: row.id,
        iat: Math.floor(createdAt / 1000),
        exp: Math.floor(row.expires_at / 1000),
      })
      return { token, row }
    },

    /** Redeems a desk link once: its claims, or a 401 when it is not one, has expired, or was used already. */
    async redeemLink(token: string): Promise<Claims> {
      if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_.-]+$/.test(token)) throw unauthorized("this sign-in link is not valid")
      const sign = await signerFor(kidOf(token))
      const claims = sign ? ((await sign.verify(token, strict(DESK_LINK_AUDIENCE))) as Claims | false) : false
      if (!claims || typeof claims.jti !== "string" || claims.exp * 1000 <= now())
        throw unauthorized("this sign-in link is not valid or has expired: run `hive desk` for a new one")
      if (tokens.state(claims.jti) !== "active") throw unauthorized("this sign-in link was used already: run `hive desk` for a new one")
      tokens.revoke(claims.jti, now())
      return claims
    },

    /**
     * The CSRF token of a desk session: a MAC of its token's id, so it needs no storage. The page gets it from
     * GET /desk/session (another origin cannot read that answer) and sends it with every change.
     */
    csrfOf(claims: Pick<Claims, "jti">): string {
      const mac = new Bun.CryptoHasher("sha256", keys.subKey(keys.current(), "jwt"))
      return mac.update(`desk-csrf:${claims.jti}`).digest("base64url")
    },

    /** Signs arbitrary claims with this install's key: for tests of what the verifier must refuse. */
    signRaw: async (claims: Record<string, unknown>) => (await signerFor(keys.current().id))!.sign(claims),

    /**
     * The admin guard: the claims of a valid, unexpired, unrevoked admin token, or a 401/403.
     * Synchronous when the token's signature was verified before (the hot path: no await per request).
     */
    check(authorization: string | null | undefined): Claims | Promise<Claims> {
      if (!authorization) throw unauthorized("missing Authorization: Bearer <token> header")
      const match = /^Bearer +([A-Za-z0-9_.-]+)$/i.exec(authorization)
      if (!match) throw unauthorized("the Authorization header must be `Bearer <token>`")
      const token = match[1]!
      if (token.length > MAX_TOKEN_CHARS) throw unauthorized("invalid or expired token")
      const cached = verified.get(token)
      return cached ? accept(token, cached) : verifyUncached(token)
    },
  }
}

export type Auth = ReturnType<typeof createAuth>
