import { describe, expect, test } from "bun:test"
import { createPhoneApp } from "../../src/server"
import { testApp } from "../helpers"

// Issue 15, finding 6: a page served from another port of the same host approved approvals with a no-cors
// fetch (text/plain) and a plain HTML form (enctype=text/plain). Both listeners now refuse such changes.

async function setup() {
  const ctx = await testApp()
  const { cookie, key } = await ctx.pairPhone("p")
  ctx.stores.agents.create("alice")
  const approval = ctx.stores.broker.requestApproval({ agent: "alice", kind: "deploy" })
  const path = `/phone/api/approvals/${approval.id}`
  // Signed as the phone page signs, so what refuses each request here is the origin check alone.
  const resolve = async (headers: Record<string, string>, body: string | undefined = JSON.stringify({ status: "approved" })) =>
    ctx.phone.handle(
      new Request(`http://127.0.0.1:7421${path}`, { method: "POST", headers: { cookie, ...(await key.sign("POST", path, body)), ...headers }, body }),
    )
  const status = () => ctx.stores.broker.approval(approval.id).status
  return { ...ctx, resolve, status, key }
}

describe("changes from a page on another origin", () => {
  test("the phone API refuses what a foreign page can send; its own page's request goes through", async () => {
    const { resolve, status } = await setup()
    const form = "status=approved" // what an HTML form or a no-cors fetch can carry
    const refused: [string, Record<string, string>, string | undefined, number, string][] = [
      [
        "a no-cors fetch (text/plain)",
        { "content-type": "text/plain;charset=UTF-8", origin: "http://127.0.0.1:8080", "sec-fetch-site": "same-site" },
        '{"status":"approved"}',
        403,
        "cross_origin",
      ],
      ["a form with enctype=text/plain", { "content-type": "text/plain", origin: "http://127.0.0.1:8080" }, form, 403, "cross_origin"],
      ["a foreign Origin with a JSON type", { "content-type": "application/json", origin: "http://127.0.0.1:8080" }, undefined, 403, "cross_origin"],
      ["an opaque Origin (a sandboxed frame)", { "content-type": "application/json", origin: "null" }, undefined, 403, "cross_origin"],
      ["a cross-site fetch metadata", { "content-type": "application/json", "sec-fetch-site": "cross-site" }, undefined, 403, "cross_origin"],
      ["text/plain without browser headers", { "content-type": "text/plain" }, '{"status":"approved"}', 415, "unsupported_media_type"],
      ["no content type at all", {}, '{"status":"approved"}', 415, "unsupported_media_type"],
    ]
    for (const [what, headers, body, code, kind] of refused) {
      const res = await resolve(headers, body)
      expect(res.status, what).toBe(code)
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toBe(kind)
      expect(status(), what).toBe("pending")
    }
    const own = await resolve({ "content-type": "application/json", origin: "http://127.0.0.1:7421", "sec-fetch-site": "same-origin" })
    expect(own.status).toBe(200)
    expect(status()).toBe("approved")
  })

  test("through the tunnel the page's origin is the tunnel's public host, while Host names the local listener", async () => {
    const ctx = await setup()
    const phone = createPhoneApp({ ...ctx.hive, phoneBaseUrl: () => "https://hi:secret@hive-abc.tunnel.example/" })
    const window = (await ctx.call("POST", "/api/pairing")).body as { url: string }
    const send = (origin: string) =>
      phone.handle(
        new Request("http://127.0.0.1:7421/pair", {
          method: "POST",
          headers: { "content-type": "application/json", origin, host: "127.0.0.1:7421" },
          body: JSON.stringify({ secret: new URL(window.url).hash.replace("#pair=", ""), name: "p2", signing_key: ctx.key.publicKey }),
        }),
      )
    expect((await send("https://hive-evil.tunnel.example")).status).toBe(403)
    expect((await send("https://hive-abc.tunnel.example")).status).toBe(201)
  })

  test("the admin API refuses a body that is not declared JSON, and a foreign Origin", async () => {
    const { app, headers, stores } = await setup()
    const post = (extra: Record<string, string>) =>
      app.handle(
        new Request("http://localhost/api/projects", {
          method: "POST",
          headers: { ...headers, ...extra },
          body: JSON.stringify({ name: "p", directory: "/p" }),
        }),
      )
    expect((await post({ "content-type": "application/x-www-form-urlencoded" })).status).toBe(415)
    expect((await post({ "content-type": "application/json", origin: "http://evil.example" })).status).toBe(403)
    expect(stores.projects.list({ limit: 10 }).items).toEqual([])
    expect((await post({ "content-type": "application/json; charset=utf-8" })).status).toBe(201)
  })
})
