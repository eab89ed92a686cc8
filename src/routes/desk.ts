import { Elysia, t } from "elysia"
import { type Claims, type Grant, principalOf } from "../auth/jwt"
import { badRequest, forbidden, unauthorized } from "../errors"
import type { Hive } from "../hive"
import html from "../web/desk.html" with { type: "text" }
import icon from "../web/icon.svg" with { type: "text" }
import { authenticate, CSRF_HEADER, DESK_COOKIE, deskToken } from "./actor"
import { Body } from "./schemas"

// With { type: "text" } Bun embeds the file as a string (its types describe an HTML bundle instead).
const page = html as unknown as string
// The whole desk is this one file: no CDN, so it works offline, and nothing but this origin is reached.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data: blob:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
}

/** A JWT's characters: anything else could not even go in a header (a NUL makes a Request throw). */
const TOKEN_CHARS = "^[A-Za-z0-9_.-]+$"

/** How long a desk session lasts: a working day. Signing in again is one `hive desk`. */
export const DESK_SESSION_MS = 12 * 3_600_000

const cookieHeader = (token: string, maxAge: number) => `${DESK_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`

/** What the page is told about its session: who, what it may do, until when, and the CSRF token for changes. */
const sessionView = (claims: Claims, csrf: string) => {
  const p = principalOf(claims)
  return { name: p.name, scope: p.scope, agent: p.agent, expires_at: claims.exp * 1000, csrf }
}

/**
 * The desk: its page at `/` on the admin listener, and its sessions. Signing in exchanges a `hive desk` link
 * (single use) or a token for a 12-hour token of the same scope, held in an HttpOnly, SameSite=Strict cookie;
 * the page then calls /api like any client, and the API's guard reads the cookie (with CSRF on every change).
 */
export const desk = (hive: Pick<Hive, "auth" | "stores">) =>
  new Elysia({ name: "routes.desk", detail: { tags: ["desk"] } })
    .get("/", () => new Response(page, { headers: PAGE_HEADERS }), {
      detail: { operationId: "desk.page", summary: "The desk", description: "The operator's dashboard (sign in with `hive desk` or a token).", security: [] },
    })
    .get(
      "/icon.svg",
      () => new Response(icon, { headers: { "cache-control": "no-cache", "content-type": "image/svg+xml", "x-content-type-options": "nosniff" } }),
      {
        detail: { operationId: "desk.icon", summary: "The desk's icon", security: [] },
      },
    )
    .post(
      "/desk/session",
      async ({ body, set, status }) => {
        if ((body.link === undefined) === (body.token === undefined)) throw badRequest('send one of "link" (from `hive desk`) or "token"')
        let grant: Grant
        let via: string
        if (body.link !== undefined) {
          await hive.auth.redeemLink(body.link)
          grant = { scope: "admin" }
          via = "desk"
        } else {
          // The same checks as any request with this token (an agent's must still be there).
          const caller = await authenticate(hive, new Request("http://localhost/", { headers: { authorization: `Bearer ${body.token}` } }))
          grant = caller.agent === null ? { scope: caller.scope as "admin" | "hooks" | "read" } : { scope: "agent", agent: caller.agent }
          via = `desk (${caller.name})`
        }
        const { token } = await hive.auth.issue(via, DESK_SESSION_MS, grant)
        const claims = await hive.auth.check(`Bearer ${token}`)
        set.headers["set-cookie"] = cookieHeader(token, DESK_SESSION_MS / 1000)
        return status(201, sessionView(claims, hive.auth.csrfOf(claims)))
      },
      {
        body: Body({
          link: t.Optional(
            t.String({ minLength: 1, maxLength: 4096, pattern: TOKEN_CHARS, description: "the token in the fragment of a `hive desk` link (#link=…)" }),
          ),
          token: t.Optional(
            t.String({
              minLength: 1,
              maxLength: 4096,
              pattern: TOKEN_CHARS,
              description: "an API token (`hive token create`): the desk gets a session of its scope",
            }),
          ),
        }),
        detail: {
          operationId: "desk.signIn",
          summary: "Sign in to the desk",
          description:
            "Exchanges a `hive desk` link (2 minutes, single use) or an API token for a 12-hour desk session of the same scope, set as an HttpOnly, SameSite=Strict cookie. Changes made with the cookie must send the answer's `csrf` as the `X-Hive-CSRF` header.",
          security: [],
        },
      },
    )
    .get(
      "/desk/session",
      async ({ request }) => {
        const token = deskToken(request)
        if (token === undefined) throw unauthorized("not signed in to the desk")
        const claims = await hive.auth.check(`Bearer ${token}`)
        return sessionView(claims, hive.auth.csrfOf(claims))
      },
      {
        detail: {
          operationId: "desk.session",
          summary: "This desk session",
          description: "Who is signed in, with what scope, until when, and the CSRF token the page sends with its changes.",
          security: [],
        },
      },
    )
    .delete(
      "/desk/session",
      async ({ request }) => {
        const signedOut = () => new Response(null, { status: 204, headers: { "set-cookie": cookieHeader("", 0) } })
        const token = deskToken(request)
        if (token === undefined) return signedOut()
        let claims: Claims
        try {
          claims = await hive.auth.check(`Bearer ${token}`)
        } catch {
          return signedOut() // expired or revoked already: only the cookie is left to clear
        }
        if (request.headers.get(CSRF_HEADER) !== hive.auth.csrfOf(claims)) throw forbidden(`signing out needs the session's ${CSRF_HEADER} header`)
        hive.stores.tokens.revoke(claims.jti)
        return signedOut()
      },
      {
        detail: {
          operationId: "desk.signOut",
          summary: "Sign out of the desk",
          description: "Revokes the session's token and clears its cookie (with the session's `X-Hive-CSRF` header).",
          security: [],
        },
      },
    )
