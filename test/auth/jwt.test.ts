import { describe, expect, test } from "bun:test"
import { createHmac } from "node:crypto"
import { join } from "node:path"
import { ADMIN_AUDIENCE, createAuth, DEVICE_AUDIENCE, ISSUER } from "../../src/auth/jwt"
import { loadKeyring } from "../../src/secrets/keyring"
import { createKeys } from "../../src/secrets/keys"
import { createLogger } from "../../src/log"
import { tempDir, testApp } from "../helpers"

const ctx = await testApp()
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url")
const nowS = () => Math.floor(Date.now() / 1000)
const valid = () => ({ sub: "t", aud: ADMIN_AUDIENCE, iss: ISSUER, jti: ctx.tokenId, iat: nowS(), exp: nowS() + 600 })

/** A JWT signed by hand, for algorithms and shapes our own signer would never produce. */
function forge(header: object, claims: object, key: Uint8Array | null, hash = "sha256") {
  const head = `${b64(header)}.${b64(claims)}`
  return `${head}.${key ? createHmac(hash, key).update(head).digest("base64url") : ""}`
}

const get = (authorization?: string) =>
  ctx.app.handle(new Request("http://localhost/api/projects", { headers: authorization === undefined ? {} : { authorization } }))

async function expectRefused(authorization: string | undefined, status: number, message?: string) {
  const res = await get(authorization)
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe(status === 401 ? "unauthorized" : "forbidden")
  if (message) expect(body.error.message).toBe(message)
  // A refusal never echoes the token back.
  if (authorization && authorization.length > 20) expect(JSON.stringify(body)).not.toContain(authorization.slice(7, 40))
}

describe("the admin guard", () => {
  const jwtKey = ctx.jwtKey

  test("a valid token passes", async () => {
    expect((await get(`Bearer ${ctx.token}`)).status).toBe(200)
  })

  test("missing, malformed and garbage headers are 401s", async () => {
    await expectRefused(undefined, 401, "missing Authorization: Bearer <token> header")
    await expectRefused(`Basic ${b64("u:p")}`, 401, "the Authorization header must be `Bearer <token>`")
    await expectRefused("Bearer", 401)
    await expectRefused("Bearer not.a.jwt", 401, "invalid or expired token")
    await expectRefused("Bearer a.b.c d", 401)
    await expectRefused(`Bearer ${"a".repeat(5000)}.b.c`, 401)
  })

  test("alg none and HS512 (when only HS256 is allowed) are refused even with valid claims", async () => {
    await expectRefused(`Bearer ${forge({ alg: "none", typ: "JWT" }, valid(), null)}`, 401)
    await expectRefused(`Bearer ${forge({ alg: "HS512", typ: "JWT" }, valid(), jwtKey, "sha512")}`, 401)
    // The same forge with HS256 is accepted: the refusals above are about the algorithm, not the forge.
    expect((await get(`Bearer ${forge({ alg: "HS256", typ: "JWT" }, valid(), jwtKey)}`)).status).toBe(200)
  })

  test("a tampered payload is refused", async () => {
    const [head, , sig] = ctx.token.split(".")
    await expectRefused(`Bearer ${head}.${b64({ ...valid(), sub: "root" })}.${sig}`, 401)
  })

  test("expired, not yet valid, and tokens missing exp, iat or jti are refused", async () => {
    const { exp, iat, jti, ...rest } = valid()
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...valid(), exp: nowS() - 10 }, jwtKey)}`, 401)
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...valid(), nbf: nowS() + 600 }, jwtKey)}`, 401)
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...rest, iat, jti }, jwtKey)}`, 401)
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...rest, exp, jti }, jwtKey)}`, 401)
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...rest, exp, iat }, jwtKey)}`, 401)
  })

  test("a wrong issuer or audience is refused; a device token is forbidden on the admin API", async () => {
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...valid(), iss: "someone-else" }, jwtKey)}`, 401)
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...valid(), aud: "elsewhere" }, jwtKey)}`, 401)
    await expectRefused(
      `Bearer ${forge({ alg: "HS256" }, { ...valid(), aud: DEVICE_AUDIENCE }, jwtKey)}`,
      403,
      "a device token cannot be used on the admin API",
    )
  })

  test("a token signed by another install is refused", async () => {
    const source = { file: join(tempDir(), "other.key") }
    const otherKeys = createKeys(loadKeyring(source, { mayCreate: true }), source)
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, valid(), otherKeys.subKey(otherKeys.current(), "jwt"))}`, 401)
    const other = createAuth(otherKeys, ctx.stores.tokens)
    await expectRefused(`Bearer ${await other.signRaw(valid())}`, 401)
  })

  test("a token whose id this hive never issued is refused", async () => {
    await expectRefused(`Bearer ${forge({ alg: "HS256" }, { ...valid(), jti: "never-issued" }, jwtKey)}`, 401, "this token is not known to this hive")
  })

  test("a revoked token is refused on its very next request, even after it was accepted (and cached)", async () => {
    const { token, row } = await ctx.auth.issue("soon revoked", 3600_000)
    expect((await get(`Bearer ${token}`)).status).toBe(200)
    ctx.stores.tokens.revoke(row.id)
    await expectRefused(`Bearer ${token}`, 401, "this token has been revoked")
  })

  test("a token accepted once is refused once it expires", async () => {
    let clock = Date.now()
    const auth = createAuth(ctx.keys, ctx.stores.tokens, () => clock)
    const { token } = await auth.issue("short", 5_000)
    expect((await auth.check(`Bearer ${token}`)).sub).toBe("short")
    clock += 6_000
    // check() answers synchronously for a token it verified before; either way it must refuse.
    await expect(Promise.resolve().then(() => auth.check(`Bearer ${token}`))).rejects.toThrow("invalid or expired token")
  })

  test("every /api route refuses a missing, garbage or revoked token", async () => {
    const { token, row } = await ctx.auth.issue("revoked for the sweep", 3600_000)
    ctx.stores.tokens.revoke(row.id)
    const routes = ctx.app.routes.filter((r) => r.path.startsWith("/api"))
    expect(routes.length).toBeGreaterThan(15)
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, "x")
      for (const authorization of [undefined, "Bearer garbage", `Bearer ${token}`]) {
        const res = await ctx.app.handle(
          new Request(`http://localhost${path}`, {
            method: route.method,
            headers: { ...(authorization ? { authorization } : {}), "content-type": "application/json" },
            body: ["GET", "DELETE"].includes(route.method) ? undefined : "{}",
          }),
        )
        expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 })
      }
    }
  })
})

describe("the kid header", () => {
  test("tokens naming unknown key generations are refused without re-reading the key file each time", async () => {
    const { keyFile, stores, jwtKey } = await testApp()
    const lines: string[] = []
    const keys = createKeys(
      loadKeyring({ file: keyFile }, { mayCreate: false }),
      { file: keyFile },
      createLogger("debug", (l) => void lines.push(l)),
    )
    const auth = createAuth(keys, stores.tokens)
    for (let i = 0; i < 200; i++) {
      const kid = i.toString(16).padStart(8, "0")
      await expect(Promise.resolve().then(() => auth.check(`Bearer ${forge({ alg: "HS256", kid }, valid(), jwtKey)}`))).rejects.toThrow(
        "invalid or expired token",
      )
    }
    expect(lines.filter((l) => l.includes("reloaded the master key"))).toEqual([])
  })

  test("a token signed by a generation added by another process (a CLI rotation) is accepted", async () => {
    const { keyFile, stores, app, config } = await testApp()
    const { loadKeyring, addGeneration } = await import("../../src/secrets/keyring")
    addGeneration(loadKeyring(config.masterKey, { mayCreate: false }))
    // The CLI issues a token with the new generation while this server is running.
    const cliKeys = createKeys(loadKeyring({ file: keyFile }, { mayCreate: false }), { file: keyFile })
    const { token } = await createAuth(cliKeys, stores.tokens).issue("after rotation", 60_000)
    expect((await app.handle(new Request("http://localhost/api/projects", { headers: { authorization: `Bearer ${token}` } }))).status).toBe(200)
  })
})
