import { Elysia, t } from "elysia"
import type { Auth } from "../auth/jwt"
import type { PairingService } from "../auth/pairing"
import type * as Broker from "../db/broker"
import type * as Events from "../db/events"
import type { GroupCommit } from "../db/group-commit"
import * as Pairing from "../db/pairing"
import type * as Projects from "../db/projects"
import type * as Sessions from "../db/sessions"
import type { Pulse } from "../pulse"
import { cursorOf, openStream, type StreamLimits } from "./events"
import { Body, Id, Nullable, OneOf, Query, Text } from "./schemas"
import html from "../web/phone.html" with { type: "text" }

export const DEVICE_COOKIE = "hive_device"

// With { type: "text" } Bun embeds the file as a string (its types describe an HTML bundle instead).
const page = html as unknown as string
// Everything the page needs is in this one file: no CDN, so it works offline through the tunnel.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
}

/** The device token from the Cookie header (the Authorization header belongs to the tunnel's basic auth). */
export function deviceCookie(request: Request): string | undefined {
  const header = request.headers.get("cookie")
  if (!header) return undefined
  for (const part of header.split(";")) {
    const at = part.indexOf("=")
    if (at !== -1 && part.slice(0, at).trim() === DEVICE_COOKIE) return part.slice(at + 1).trim()
  }
  return undefined
}

export type PhoneDeps = {
  pairing: PairingService
  auth: Auth
  devices: Pairing.Store
  sessions: Sessions.Store
  projects: Projects.Store
  broker: Broker.Store
  events: Events.Store
  commit: GroupCommit
  pulse: Pulse
  streams: StreamLimits
  deviceTtlMs: number
}

const LIST = 200

/**
 * Everything the phone listener answers: pairing, and the phone API behind a device cookie. Nothing of the
 * admin API is mounted here, and a device token is refused there: the tunnel reaches only this.
 */
export const phone = (deps: PhoneDeps) => {
  const streams = deps.streams.open ?? { active: 0 }
  return new Elysia({ name: "routes.phone" })
    .get("/", () => new Response(page, { headers: PAGE_HEADERS }), {
      detail: { description: "The phone page: pair screen, approvals, questions, sessions, live events." },
    })
    .post(
      "/pair",
      async ({ body, request, set, status }) => {
        const { device, token } = await deps.pairing.redeem(
          { secret: body.secret, code: body.code },
          { name: body.name ?? null, platform: body.platform ?? null, userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null },
        )
        set.headers["set-cookie"] = `${DEVICE_COOKIE}=${token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${Math.floor(deps.deviceTtlMs / 1000)}`
        return status(201, { device: { id: device.id, name: device.name, platform: device.platform, paired_at: device.paired_at } })
      },
      {
        body: Body({
          secret: t.Optional(Text(64, 1)),
          code: t.Optional(t.String({ pattern: "^\\d{6}$", error: 'field "code": the 6 digits shown by hive pair' })),
          name: t.Optional(Nullable(Text(100))),
          platform: t.Optional(Nullable(OneOf(Pairing.PLATFORMS))),
        }),
        detail: { description: "Exchanges the pairing secret (from the QR code) or the 6-digit code for a device; sets its token as an HttpOnly cookie." },
      },
    )
    .group("/phone/api", (api) =>
      api
        .derive(async ({ request }) => {
          const device = await deps.auth.checkDevice(deviceCookie(request))
          deps.devices.seen(device)
          return { device }
        })
        .get("/me", ({ device }) => deps.devices.device(device))
        .get("/sessions", () => ({
          projects: deps.projects.list({ limit: 500 }).items,
          sessions: deps.sessions.list({ state: "active" }, { limit: LIST }).items,
        }))
        .get("/approvals", () => deps.broker.approvals({ status: "pending", limit: LIST }))
        .post("/approvals/:id", ({ params, body }) => deps.commit.run(() => deps.broker.resolveApproval(params.id, body.status, body.note ?? null)), {
          params: Id,
          body: Body({ status: OneOf(["approved", "denied"]), note: t.Optional(Nullable(Text(10_000))) }),
        })
        .get("/questions", () => deps.broker.questions({ status: "open", limit: LIST }))
        .post("/questions/:id/answer", ({ params, body }) => deps.commit.run(() => deps.broker.answer(params.id, body.answer)), {
          params: Id,
          body: Body({ answer: t.Union([Text(500, 1), t.Array(Text(500, 1), { maxItems: 50 })]) }),
        })
        .get(
          "/events/stream",
          ({ request, query }) =>
            openStream(deps.events, deps.pulse, deps.streams, streams, request, cursorOf(request, query.since, deps.events.newest), {}, () =>
              deps.auth.checkDevice(deviceCookie(request)),
            ),
          { query: t.Object({ since: t.Optional(Query.int("since")) }) },
        ),
    )
}
