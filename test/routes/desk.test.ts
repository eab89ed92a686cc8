import { describe, expect, test } from "bun:test"
import { testApp } from "../helpers"

type App = Awaited<ReturnType<typeof testApp>>

/** Signs in to the desk with `body`; the cookie (name=value) and the session the page is told about. */
async function signIn(call: App["call"], body: Record<string, unknown>) {
  const res = await call("POST", "/desk/session", body, {})
  const setCookie = res.headers.get("set-cookie") ?? ""
  return { res, setCookie, cookie: setCookie.split(";")[0]!, session: res.body as { csrf: string; scope: string; name: string; expires_at: number } }
}

describe("the desk's sign-in", () => {
  test("a hive desk link signs in once; the cookie is HttpOnly and SameSite=Strict and calls the API; the link itself is no credential", async () => {
    const { call, auth } = await testApp()
    const { token: link } = await auth.issueLink(120_000)
    expect((await call("GET", "/api/projects", undefined, { authorization: `Bearer ${link}` })).status).toBe(401)

    const { res, setCookie, cookie, session } = await signIn(call, { link })
    expect(res.status).toBe(201)
    expect(setCookie).toMatch(/^hive_desk=[A-Za-z0-9_.-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/)
    expect(session).toMatchObject({ name: "desk", scope: "admin", agent: null })
    expect(session.expires_at - Date.now()).toBeGreaterThan(11 * 3_600_000)
    expect((await call("GET", "/api/projects", undefined, { cookie })).status).toBe(200)
    expect((await call("GET", "/desk/session", undefined, { cookie })).body).toEqual(session)

    const again = await signIn(call, { link })
    expect(again.res.status).toBe(401)
    expect(again.res.body.error.message).toContain("used already")
    expect(again.setCookie).toBe("")
    expect((await call("POST", "/desk/session", { link: "not.a.link" }, {})).status).toBe(401)
    expect((await call("GET", "/desk/session", undefined, {})).status).toBe(401)
  })

  test("a change made with the cookie needs the session's CSRF header; another origin is refused", async () => {
    const { call, auth } = await testApp()
    const { cookie, session } = await signIn(call, { link: (await auth.issueLink(120_000)).token })
    const project = { name: "shop", directory: "/shop" }
    const none = await call("POST", "/api/projects", project, { cookie })
    expect(none.status).toBe(403)
    expect(none.body.error.message).toContain("x-hive-csrf")
    expect((await call("POST", "/api/projects", project, { cookie, "x-hive-csrf": "forged" })).status).toBe(403)
    const other = await call("POST", "/api/projects", project, { cookie, "x-hive-csrf": session.csrf, origin: "http://127.0.0.1:9999" })
    expect(other.status).toBe(403)
    expect(other.body.error.code).toBe("cross_origin")
    expect((await call("GET", "/api/projects", undefined, { cookie })).body.items).toEqual([])
    expect((await call("POST", "/api/projects", project, { cookie, "x-hive-csrf": session.csrf, origin: "http://localhost" })).status).toBe(201)
    // Another session's CSRF token is not this one's.
    const second = await signIn(call, { link: (await auth.issueLink(120_000)).token })
    expect(second.session.csrf).not.toBe(session.csrf)
    expect((await call("DELETE", `/api/projects/${"x"}`, undefined, { cookie, "x-hive-csrf": second.session.csrf })).status).toBe(403)
  })

  test("a token signs in to a session of its own scope; a refused token signs in to nothing", async () => {
    const { call, auth } = await testApp()
    const { token: read } = await auth.issue("dashboard", 3_600_000, { scope: "read" })
    const { res, cookie, session } = await signIn(call, { token: read })
    expect(res.status).toBe(201)
    expect(session).toMatchObject({ name: "desk (dashboard)", scope: "read" })
    expect((await call("GET", "/api/sessions", undefined, { cookie })).status).toBe(200)
    expect((await call("GET", "/api/secrets", undefined, { cookie })).status).toBe(403)
    const write = await call("POST", "/api/projects", { name: "p", directory: "/p" }, { cookie, "x-hive-csrf": session.csrf })
    expect(write.status).toBe(403)
    expect(write.body.error.message).toContain("scope read")

    const { token: revoked, row } = await auth.issue("revoked", 3_600_000)
    expect((await call("DELETE", `/api/tokens/${row.id}`)).status).toBe(200)
    for (const token of [revoked, `${read}x`, "nonsense"]) {
      const refused = await signIn(call, { token })
      expect(refused.res.status).toBe(401)
      expect(refused.setCookie).toBe("")
    }
    expect((await call("POST", "/desk/session", {}, {})).status).toBe(400)
    for (const odd of ["\u0000", "a b", "x\ny"]) {
      expect((await call("POST", "/desk/session", { token: odd }, {})).status).toBe(400)
      expect((await call("POST", "/desk/session", { link: odd }, {})).status).toBe(400)
    }
    expect((await call("POST", "/desk/session", { link: "a", token: "b" }, {})).status).toBe(400)
  })

  test("signing out revokes the session's token and clears the cookie; the MCP endpoint never takes the cookie", async () => {
    const { call, auth } = await testApp()
    const { cookie, session } = await signIn(call, { link: (await auth.issueLink(120_000)).token })
    expect((await call("DELETE", "/desk/session", undefined, { cookie })).status).toBe(403)
    const mcp = await call("POST", "/mcp", { jsonrpc: "2.0", id: 1, method: "tools/list" }, { cookie, "x-hive-csrf": session.csrf })
    expect(mcp.status).toBe(401)
    const out = await call("DELETE", "/desk/session", undefined, { cookie, "x-hive-csrf": session.csrf })
    expect(out.status).toBe(204)
    expect(out.headers.get("set-cookie")).toBe("hive_desk=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
    expect((await call("GET", "/api/projects", undefined, { cookie })).status).toBe(401)
    expect((await call("DELETE", "/desk/session", undefined, { cookie })).status).toBe(204) // nothing left but the cookie
  })

  test("the page is one self-contained file that loads nothing from elsewhere", async () => {
    const { app } = await testApp()
    const res = await app.handle(new Request("http://localhost/"))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'")
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'")
    const html = await res.text()
    expect(html).not.toMatch(/(src|href)="https?:/)
  })
})
