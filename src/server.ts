import { type AnyElysia, Elysia } from "elysia"
import type { Hive } from "./hive"
import { openApiDocument } from "./openapi"
import { api, guards } from "./routes"
import { health } from "./routes/health"
import { phone } from "./routes/phone"
import { mcp } from "./routes/mcp"
import { desk } from "./routes/desk"

// The response schemas are loaded with the document they are part of, not at start-up.
const responses = () => import("./routes/responses")

/** The admin app (127.0.0.1:7420): /health, /openapi, the desk and the whole /api. It does not listen; `hive serve` does. */
export function createAdminApp(hive: Hive) {
  let document: ReturnType<typeof openApiDocument> | undefined
  let phoneDocument: ReturnType<typeof openApiDocument> | undefined
  let self: AnyElysia | undefined
  const app =
    // normalize off: unknown body fields are rejected (400) instead of silently dropped.
    new Elysia({ name: "hive.admin", normalize: false })
      .use(guards(hive))
      .get("/openapi", () => (document ??= responses().then((r) => openApiDocument(self!, hive.config.version, "admin", r.RESPONSES))), {
        detail: { summary: "This document", description: "Every route of the admin listener, from the schemas that check its requests.", security: [] },
      })
      .get(
        "/openapi/phone",
        () => (phoneDocument ??= responses().then((r) => openApiDocument(createPhoneApp(hive), hive.config.version, "phone", r.PHONE_RESPONSES))),
        {
          detail: {
            summary: "The phone listener's document",
            description: "Every route of the phone listener (what the tunnel reaches), with its device-cookie security.",
            security: [],
          },
        },
      )
      .use(health(hive))
      .use(desk(hive))
      .use(api(hive))
      .use(mcp(hive, async (r) => self!.handle(r)))
  self = app
  return app
}

export type AdminApp = ReturnType<typeof createAdminApp>

/**
 * The phone app (127.0.0.1:7421, what the tunnel points at): pairing and the phone API only. Requests through
 * a tunnel arrive from 127.0.0.1 with no forwarding header, so nothing here is trusted for being local.
 */
export function createPhoneApp(hive: Hive) {
  return new Elysia({ name: "hive.phone", normalize: false })
    .use(guards(hive, { anyHost: true, publicHost: () => new URL(hive.phoneBaseUrl()).host }))
    .use(health(hive, { public: true }))
    .use(phone(hive))
}
