import { expect, test } from "bun:test"
import { createHmac } from "node:crypto"
import { join } from "node:path"
import { ADMIN_AUDIENCE, createAuth, DEVICE_AUDIENCE, type Grant, ISSUER } from "../../src/auth/jwt"
import { grantedRoutes, permits } from "../../src/auth/scopes"
import { createLogger } from "../../src/log"
import { loadKeyring } from "../../src/secrets/keyring"
import { createKeys } from "../../src/secrets/keys"
import { tempDir, testApp } from "../helpers"

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url")
const nowS = () => Math.floor(Date.now() / 1000)
function forge(header: object, claims: object, key: Uint8Array | null, hash = "sha256") {
  const head = `${b64(header)}.${b64(claims)}`
  return `${head}.${key ? createHmac(hash, key).update(head).digest("base64url") : ""}`
}

test("the JWT matrix on every protected route: each bad token is a 401 or 403, never a 500, and no log line carries it", async () => {
  const lines: string[] = []
  const ctx = await testApp({ logger: createLogger("debug", (l) => void lines.push(l)) })
  const key = ctx.jwtKey
  const valid = { sub: "t", aud: ADMIN_AUDIENCE, iss: ISSUER, jti: ctx.tokenId, iat: nowS(), exp: nowS() + 600 }
  const { exp: _exp, ...noExp } = valid
  const otherSource = { file: join(tempDir(), "other.key") }
  const otherKeys = createKeys(loadKeyring(otherSource, { mayCreate: true }), otherSource)
  const revoked = await ctx.auth.issue("revoked", 3600_000)
  ctx.stores.tokens.revoke(revoked.row.id)
  const bad: Record<string, string | undefined> = {
    "no token": undefined,
    garbage: "Bearer garbage-token-value",
    "alg none": `Bearer ${forge({ alg: "none" }, valid, null)}`,
    HS512: `Bearer ${forge({ alg: "HS512" }, valid, key, "sha512")}`,
    "tampered payload": `Bearer ${ctx.token.split(".")[0]}.${b64({ ...valid, sub: "admin", exp: nowS() + 99999 })}.${ctx.token.split(".")[2]}`,
    expired: `Bearer ${forge({ alg: "HS256" }, { ...valid, exp: nowS() - 5 }, key)}`,
    "not yet valid": `Bearer ${forge({ alg: "HS256" }, { ...valid, nbf: nowS() + 600 }, key)}`,
    "no exp": `Bearer ${forge({ alg: "HS256" }, noExp, key)}`,
    "wrong issuer": `Bearer ${forge({ alg: "HS256" }, { ...valid, iss: "elsewhere" }, key)}`,
    "wrong audience": `Bearer ${forge({ alg: "HS256" }, { ...valid, aud: "elsewhere" }, key)}`,
    "device token": `Bearer ${forge({ alg: "HS256" }, { ...valid, aud: DEVICE_AUDIENCE }, key)}`,
    "another install": `Bearer ${await createAuth(otherKeys, ctx.stores.tokens).signRaw(valid)}`,
    revoked: `Bearer ${revoked.token}`,
    "oversize header": `Bearer ${"A".repeat(64 * 1024)}.${"B".repeat(1000)}.c`,
    // Signed with this install's key (as only a bug could): an unknown scope, or an agent scope without its agent, is no token.
    "unknown scope": `Bearer ${forge({ alg: "HS256" }, { ...valid, scope: "root" }, key)}`,
    "agent scope, no agent": `Bearer ${forge({ alg: "HS256" }, { ...valid, scope: "agent" }, key)}`,
    "agent, no scope": `Bearer ${forge({ alg: "HS256" }, { ...valid, agent: "alice" }, key)}`,
  }
  const routes = ctx.app.routes.filter((r) => r.path.startsWith("/api"))
  expect(routes.length).toBeGreaterThan(50)
  const wrong: string[] = []
  let requests = 0
  for (const route of routes)
    for (const [what, authorization] of Object.entries(bad)) {
      const path = route.path.replace(/:(\w+)/g, "x")
      const res = await ctx.app.handle(
        new Request(`http://localhost${path}`, {
          method: route.method,
          // A foreign Origin on reads (no CORS header may answer it); on changes it is refused before the token is
          // looked at (routes/index.ts refuseForeign), which would hide the token check this matrix is about.
          headers: {
            ...(authorization === undefined ? {} : { authorization }),
            "content-type": "application/json",
            ...(route.method === "GET" ? { origin: "https://evil.example" } : {}),
          },
          body: ["GET", "DELETE"].includes(route.method) ? undefined : "{}",
        }),
      )
      requests++
      const expected = what === "device token" ? 403 : 401
      if (res.status !== expected) wrong.push(`${route.method} ${path} with ${what}: ${res.status}`)
      if (res.headers.get("access-control-allow-origin")) wrong.push(`${route.method} ${path}: CORS header ${res.headers.get("access-control-allow-origin")}`)
      if (route.path.endsWith("/stream")) await res.body?.cancel()
    }
  expect(wrong).toEqual([])
  const logged = lines.join("")
  for (const authorization of Object.values(bad)) if (authorization) expect(logged).not.toContain(authorization.slice(7, 47))
  console.log(`jwt matrix: ${routes.length} routes x ${Object.keys(bad).length} bad tokens = ${requests} requests, all refused`)
})

test("the scope matrix on every route: each scope is refused (403) every route it is not granted, and reaches every route it is", async () => {
  const ctx = await testApp()
  ctx.stores.agents.create("alice")
  const grants: Record<string, Grant> = { agent: { scope: "agent", agent: "alice" }, hooks: { scope: "hooks" }, read: { scope: "read" } }
  const tokens = Object.fromEntries(await Promise.all(Object.entries(grants).map(async ([s, g]) => [s, (await ctx.auth.issue(s, 600_000, g)).token] as const)))
  // Read from the app, so a route added without a thought for scopes is in the matrix too (and admin-only by default).
  const routes = ctx.app.routes.filter((r) => r.path.startsWith("/api"))
  const known = new Set(routes.map((r) => `${r.method} ${r.path}`))
  for (const scope of ["agent", "hooks"] as const) for (const route of grantedRoutes(scope)) expect(known).toContain(route)
  const wrong: string[] = []
  let refused = 0
  for (const route of routes)
    for (const [scope, token] of Object.entries(tokens)) {
      const path = route.path.replace(/:(\w+)/g, "x")
      const res = await ctx.app.handle(
        new Request(`http://localhost${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: ["GET", "DELETE"].includes(route.method) ? undefined : "{}",
        }),
      )
      // An open stream never ends: read only its refusal.
      const body = route.path.endsWith("/stream") && res.status === 200 ? (await res.body?.cancel(), "") : await res.text()
      const byScope = res.status === 403 && body.includes(`a token of scope ${scope} cannot call`)
      const allowed = permits(grants[scope]!.scope, route.method, route.path)
      if (allowed === byScope) wrong.push(`${route.method} ${route.path} as ${scope}: ${res.status} ${body.slice(0, 120)}`)
      if (!allowed) refused++
      if (!allowed && route.method !== "GET" && scope === "read" && !byScope) wrong.push(`read changed ${route.method} ${route.path}`)
    }
  // Outside /api: /health, the documents and the desk's page are public; the desk's session routes take its
  // cookie or a sign-in (test/routes/desk.test.ts); /mcp takes agent tokens only (its tools are /api calls).
  const outside = ctx.app.routes.filter((r) => !r.path.startsWith("/api")).map((r) => `${r.method} ${r.path}`)
  expect(outside.sort()).toEqual([
    "DELETE /desk/session",
    "GET /",
    "GET /desk/session",
    "GET /health",
    "GET /icon.svg",
    "GET /openapi",
    "GET /openapi/phone",
    "POST /desk/session",
    "POST /mcp",
  ])
  for (const [scope, token] of [...Object.entries(tokens), ["admin", ctx.token] as const]) {
    const res = await ctx.app.handle(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      }),
    )
    await res.body?.cancel()
    if ((res.status === 403) !== (scope !== "agent")) wrong.push(`POST /mcp as ${scope}: ${res.status}`)
  }
  expect(wrong).toEqual([])
  // Each scope is refused most of the API: a grant table that opened everything would fail here.
  expect(refused).toBeGreaterThan(routes.length * 1.5)
  console.log(`scope matrix: ${routes.length} routes x ${Object.keys(tokens).length} scopes, ${refused} refused by scope`)
})
