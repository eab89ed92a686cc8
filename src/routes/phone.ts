import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import * as Pairing from "../db/pairing"
import { cursorOf, openStream } from "./events"
import { ReplyBody, typeReply } from "./sessions"
import { Body, Id, Nullable, OneOf, Query, Text } from "./schemas"
import html from "../web/phone.html" with { type: "text" }
import icon from "../web/icon.svg" with { type: "text" }
import worker from "../web/sw.js" with { type: "text" }
import signing from "../web/sign.js" with { type: "text" }
import { endpointError } from "../notify/webpush"
import { badRequest } from "../errors"
import icon192 from "../web/icon-192.png" with { type: "file" }
import icon512 from "../web/icon-512.png" with { type: "file" }
import { signingKeyError } from "../auth/signatures"
import { rawBody } from "./index"
import { readTranscript, tailCursor, transcriptPath } from "../transcripts/read"
import { OPERATOR } from "../db/agents"
import { cookie } from "./actor"

export const DEVICE_COOKIE = "hive_device"

// With { type: "text" } Bun embeds the file as a string (its types describe an HTML bundle instead).
const page = html as unknown as string
// Everything the page needs is in this one file: no CDN, so it works offline through the tunnel.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
}

/** The device token from the Cookie header (the Authorization header belongs to the tunnel's basic auth). */
export const deviceCookie = (request: Request) => cookie(request, DEVICE_COOKIE)

const LIST = 200

/** What makes the page installable to a home screen (a web app manifest). */
const MANIFEST = JSON.stringify({
  name: "hive",
  short_name: "hive",
  description: "Approvals, questions and sessions of your agents",
  start_url: "/",
  scope: "/",
  display: "standalone",
  background_color: "#111827",
  theme_color: "#1f2937",
  icons: [
    { src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
    { src: "/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
    { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
  ],
})
const ASSET_HEADERS = { "cache-control": "no-cache", "x-content-type-options": "nosniff" }

/** What a phone's session view shows of its events, and of its transcript at first (the latest bytes of it). */
const SESSION_EVENTS = 50
const TRANSCRIPT_TAIL_BYTES = 256 * 1024
const TRANSCRIPT_PAGE = 100

/** A push subscription as the browser's PushSubscription.toJSON() gives it. */
const PushBody = Body({
  endpoint: Text(2048, 1),
  keys: Body({ p256dh: t.String({ pattern: "^[A-Za-z0-9_-]{80,120}={0,2}$" }), auth: t.String({ pattern: "^[A-Za-z0-9_-]{16,32}={0,2}$" }) }),
  expirationTime: t.Optional(Nullable(t.Number())),
})

/**
 * Everything the phone listener answers: pairing, and the phone API behind a device cookie. Nothing of the
 * admin API is mounted here, and a device token is refused there: the tunnel reaches only this.
 */
export const phone = (hive: Pick<Hive, "pairing" | "auth" | "stores" | "commit" | "pulse" | "streams" | "config" | "notifier">) => {
  const { pairing: devices, sessions, projects, broker, events } = hive.stores
  const streams = hive.streams.open ?? { active: 0 }
  return new Elysia({ name: "routes.phone" })
    .get("/", () => new Response(page, { headers: PAGE_HEADERS }), {
      detail: {
        operationId: "page.get",
        summary: "The phone page",
        description: "The phone page: pair screen, approvals, questions, sessions, live events.",
        security: [],
      },
    })
    .get("/sw.js", () => new Response(worker, { headers: { ...ASSET_HEADERS, "content-type": "text/javascript; charset=utf-8" } }), {
      detail: { operationId: "worker.get", summary: "The page's service worker (Web Push)", security: [] },
    })
    .get("/sign.js", () => new Response(signing, { headers: { ...ASSET_HEADERS, "content-type": "text/javascript; charset=utf-8" } }), {
      detail: { operationId: "signing.get", summary: "The phone's request signing (shared by the page and its worker)", security: [] },
    })
    .get("/manifest.webmanifest", () => new Response(MANIFEST, { headers: { ...ASSET_HEADERS, "content-type": "application/manifest+json" } }), {
      detail: { operationId: "manifest.get", summary: "The page's web app manifest (installs it to a home screen)", security: [] },
    })
    .get("/icon-192.png", () => new Response(Bun.file(icon192), { headers: { ...ASSET_HEADERS, "content-type": "image/png" } }), {
      detail: { operationId: "icon.png192", summary: "The page's icon, 192 px PNG", security: [] },
    })
    .get("/icon-512.png", () => new Response(Bun.file(icon512), { headers: { ...ASSET_HEADERS, "content-type": "image/png" } }), {
      detail: { operationId: "icon.png512", summary: "The page's icon, 512 px PNG", security: [] },
    })
    .get("/icon.svg", () => new Response(icon, { headers: { ...ASSET_HEADERS, "content-type": "image/svg+xml" } }), {
      detail: { operationId: "icon.get", summary: "The page's icon", security: [] },
    })
    .post(
      "/pair",
      async ({ body, request, set, status }) => {
        const wrong = signingKeyError(body.signing_key)
        if (wrong) throw badRequest(`field "signing_key": ${wrong}`)
        const { device, token } = await hive.pairing.redeem(
          { secret: body.secret, code: body.code },
          {
            name: body.name ?? null,
            platform: body.platform ?? null,
            userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
            signingKey: body.signing_key,
          },
        )
        set.headers["set-cookie"] =
          `${DEVICE_COOKIE}=${token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${Math.floor(hive.config.deviceTtlMs / 1000)}`
        return status(201, { device: { id: device.id, name: device.name, platform: device.platform, paired_at: device.paired_at } })
      },
      {
        body: Body({
          secret: t.Optional(Text(64, 1)),
          code: t.Optional(t.String({ pattern: "^\\d{6}$", error: 'field "code": the 6 digits shown by hive pair' })),
          name: t.Optional(Nullable(Text(100))),
          platform: t.Optional(Nullable(OneOf(Pairing.PLATFORMS))),
          signing_key: t.String({
            maxLength: 100,
            description: "the public half of the key the phone signs its changes with: a P-256 point, raw, base64url",
          }),
        }),
        detail: {
          summary: "Pair this phone",
          description: "Exchanges the pairing secret (from the QR code) or the 6-digit code for a device; sets its token as an HttpOnly cookie.",
          security: [],
        },
      },
    )
    .group("/phone/api", (api) =>
      api
        .derive(async ({ request }) => {
          const device = await hive.auth.checkDevice(deviceCookie(request))
          // The cookie says which phone; only its key can say that this change is the phone's.
          if (request.method !== "GET" && request.method !== "HEAD") await hive.pairing.checkSignature(device, request, rawBody(request))
          devices.seen(device)
          return { device }
        })
        .get("/me", ({ device }) => devices.device(device), { detail: { summary: "This phone, as hive knows it" } })
        .patch("/me", ({ device, body }) => hive.commit.run(() => devices.rename(device, body.name)), {
          body: Body({ name: Text(100, 1) }),
          detail: { operationId: "me.rename", summary: "Rename this phone" },
        })
        .get(
          "/sessions",
          () => ({
            projects: projects.list({ limit: 500 }).items,
            sessions: sessions.list({ state: "active" }, { limit: LIST, order: "desc" }).items,
          }),
          { detail: { summary: "Active sessions, newest first, with the projects they belong to" } },
        )
        .get(
          "/sessions/:id",
          ({ params }) => {
            const session = sessions.get(params.id)
            return { session, events: events.latestOf(session.id, SESSION_EVENTS) }
          },
          { params: Id, detail: { operationId: "sessions.get", summary: "A session and its latest events, newest first" } },
        )
        .get(
          "/sessions/:id/transcript",
          ({ params, query }) => {
            const path = transcriptPath(sessions.get(params.id), hive.config.claudeDir)
            const cursor = query.cursor ?? (query.tail ? tailCursor(path, TRANSCRIPT_TAIL_BYTES) : 0)
            return readTranscript(path, cursor, Math.min(query.limit ?? TRANSCRIPT_PAGE, TRANSCRIPT_PAGE))
          },
          {
            params: Id,
            query: t.Object({ cursor: t.Optional(Query.int("cursor")), limit: t.Optional(Query.int("limit", 1)), tail: t.Optional(t.Boolean()) }),
            detail: {
              operationId: "sessions.transcript",
              summary: "A session's transcript, a page at a time",
              description: "As the admin route; `tail=true` starts at the latest 256 KB instead of the beginning (whole lines only).",
            },
          },
        )
        .post("/sessions/:id/input", ({ params, body }) => typeReply(hive, params.id, { text: body.text }), {
          params: Id,
          body: Body({ text: ReplyBody.properties.text }),
          detail: {
            operationId: "sessions.input",
            summary: "Type a reply into a session waiting for input",
            description: "As the admin API's `POST /api/sessions/{id}/input`, without `force`: 409 when the session is not waiting for input.",
          },
        })
        .get("/push", async ({ device }) => ({ public_key: await hive.notifier.publicKey(), subscriptions: hive.stores.push.count(device) }), {
          detail: { operationId: "push.get", tags: ["push"], summary: "The key to subscribe to Web Push with, and this phone's subscriptions" },
        })
        .put(
          "/push",
          async ({ device, body, status }) => {
            const wrong = endpointError(body.endpoint, hive.config.pushAllowHttp)
            if (wrong) throw badRequest(`field "endpoint": ${wrong}`)
            const created = await hive.commit.run(() =>
              hive.stores.push.put({ endpoint: body.endpoint, device_id: device, p256dh: body.keys.p256dh, auth: body.keys.auth }),
            )
            return status(created ? 201 : 200, { subscriptions: hive.stores.push.count(device) })
          },
          {
            body: PushBody,
            detail: {
              operationId: "push.subscribe",
              tags: ["push"],
              summary: "Subscribe this phone to Web Push",
              description: "The browser's `PushSubscription.toJSON()`, made with the key from `GET /phone/api/push`. 201 when new, 200 when renewed.",
            },
          },
        )
        .delete(
          "/push",
          async ({ device, set }) => {
            await hive.commit.run(() => hive.stores.push.removeDevice(device))
            set.status = 204
          },
          { detail: { operationId: "push.unsubscribe", tags: ["push"], summary: "Stop Web Push to this phone" } },
        )
        .get("/approvals", () => broker.approvals({ status: "pending", limit: LIST }), { detail: { summary: "Pending approvals" } })
        .get("/approvals/resolved", () => ({ items: broker.resolvedRecently(50) }), {
          detail: { operationId: "approvals.resolved", summary: "The 50 approvals settled last, newest first" },
        })
        .get(
          "/agents",
          () => ({
            items: hive.stores.agents
              .list({ limit: LIST })
              .items.filter((a) => a.status === "active")
              .map((a) => a.name),
          }),
          {
            detail: { operationId: "agents.names", summary: "The agents a message can go to" },
          },
        )
        .post("/messages", async ({ body, status }) => status(201, await hive.commit.run(() => broker.send(OPERATOR, body.to, body.body))), {
          body: Body({ to: Text(64, 1), body: Text(10_000, 1) }),
          detail: { operationId: "messages.send", summary: "Send an agent a message, as the operator" },
        })
        .post("/approvals/:id", ({ params, body }) => hive.commit.run(() => broker.resolveApproval(params.id, body.status, body.note ?? null)), {
          params: Id,
          body: Body({ status: OneOf(["approved", "denied"]), note: t.Optional(Nullable(Text(10_000))) }),
          detail: { operationId: "approvals.resolve", summary: "Approve or deny an approval" },
        })
        .get("/questions", () => broker.questions({ status: "open", limit: LIST }), { detail: { summary: "Open questions" } })
        .post("/questions/:id/answer", ({ params, body }) => hive.commit.run(() => broker.answer(params.id, body.answer)), {
          params: Id,
          body: Body({ answer: t.Union([Text(500, 1), t.Array(Text(500, 1), { maxItems: 50 })]) }),
          detail: { summary: "Answer a question" },
        })
        .get(
          "/events/stream",
          ({ request, query }) =>
            openStream({
              store: events,
              pulse: hive.pulse,
              limits: hive.streams,
              state: streams,
              cap: hive.streams.phone,
              request,
              cursor: cursorOf(request, query.since, () => events.newest()),
              filter: {},
              recheck: () => hive.auth.checkDevice(deviceCookie(request)),
            }),
          { query: t.Object({ since: t.Optional(Query.int("since")) }), detail: { summary: "Live events (SSE), resumable with Last-Event-ID" } },
        ),
    )
}
