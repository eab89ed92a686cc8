import { Elysia, t } from "elysia"
import type { Hive, StreamCap, StreamLimits } from "../hive"
import { DEFAULT_LIMIT, MAX_LIMIT } from "../db/entity"
import type * as Events from "../db/events"
import { badRequest, HiveError } from "../errors"
import type { Pulse } from "../pulse"
import { callerOf, stamped } from "./actor"
import { Body, Millis, Nullable, Query, Text } from "./schemas"

export const MAX_BATCH = 1000
const PAGE = 500
/** How long a stream sleeps without news before it looks at the table again (other processes write too). */
const POLL_MS = 1000

/** Throws (a 401) once the credential a stream was opened with is revoked or expired. */
export type Recheck = () => unknown

const EventBody = Body({
  kind: Text(100, 1),
  agent: t.Optional(Nullable(Text(64, 1))),
  session_id: t.Optional(Nullable(Text(128, 1))),
  ts: t.Optional(Millis),
  payload: t.Optional(t.Unknown({ description: "any JSON" })),
})
const Filter = {
  agent: t.Optional(Query.text("agent", 64)),
  session_id: t.Optional(Query.text("session_id", 128)),
  kind: t.Optional(Query.text("kind", 100)),
  tool_name: t.Optional(Query.text("tool_name", 200)),
  subagent_id: t.Optional(Query.text("subagent_id", 128)),
  tool_use_id: t.Optional(Query.text("tool_use_id", 200)),
  notification_type: t.Optional(Query.text("notification_type", 64)),
}

/** The filter a request's query names: only the filter fields (not its paging). */
const filterOf = (query: { [K in keyof typeof Filter]?: string }): Events.EventFilter => {
  const out: Events.EventFilter = {}
  for (const k of Object.keys(Filter) as (keyof typeof Filter)[]) if (query[k] !== undefined) out[k] = query[k]
  return out
}

const encoder = new TextEncoder()
const frame = (e: Events.Event) => encoder.encode(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`)

/**
 * Server-sent events. Every event is read from the table in id order from the client's cursor
 * (Last-Event-ID or ?since=), so a reconnect replays exactly what was missed and the switch to live
 * has no gap and no duplicate by construction: SQLite has one writer, so ids become visible in order.
 */
/** What a stream is opened with: where events come from, who asked, from where on, and what they may see. */
export type StreamRequest = {
  store: Events.Store
  pulse: Pulse
  limits: StreamLimits
  /** The count of open streams the cap is checked against. */
  state: { active: number }
  /** A listener's own, lower cap, checked and counted besides. */
  cap?: StreamCap
  request: Request
  cursor: number
  filter: Events.EventFilter
  recheck: Recheck
}

function stream({ store, pulse, limits, state, cap, request, cursor: from, filter, recheck }: StreamRequest) {
  let cursor = from
  let closed = false
  let wakeNow = () => {}
  const end = () => {
    closed = true
    wakeNow()
  }
  request.signal.addEventListener("abort", end)
  limits.shutdown?.addEventListener("abort", end)
  state.active++
  if (cap) cap.open.active++
  const body = new ReadableStream<Uint8Array>({
    async start(out) {
      let lastWrite = Date.now()
      let lastCheck = Date.now()
      const send = (bytes: Uint8Array) => {
        out.enqueue(bytes)
        lastWrite = Date.now()
      }
      /**
       * A token or device revoked (or expired) since the stream opened ends it, with a last event that says so:
       * checked before anything new is sent (a point read), and at least every heartbeat while idle.
       */
      const revoked = async (sending: boolean) => {
        if (!sending && Date.now() - lastCheck < limits.heartbeatMs) return false
        lastCheck = Date.now()
        try {
          await recheck()
          return false
        } catch (err) {
          const message = err instanceof HiveError ? err.message : "the credential is no longer valid"
          send(encoder.encode(`event: unauthorized\ndata: ${JSON.stringify({ error: { code: "unauthorized", message } })}\n\n`))
          return true
        }
      }
      try {
        send(encoder.encode(`retry: 2000\n: connected\n\n`))
        while (!closed) {
          const page = store.next(cursor, filter, PAGE)
          if (await revoked(page.events.length > 0)) break
          for (const e of page.events) send(frame(e))
          cursor = page.cursor
          if (page.more) {
            // A long replay yields between pages, so other requests are served while it catches up.
            await new Promise((resolve) => setImmediate(resolve))
            continue
          }
          if (Date.now() - lastWrite >= limits.heartbeatMs) send(encoder.encode(": heartbeat\n\n"))
          const wait = Math.max(1, Math.min(POLL_MS, limits.heartbeatMs - (Date.now() - lastWrite)))
          await Promise.race([pulse.wait(wait), new Promise<void>((resolve) => (wakeNow = resolve))])
        }
      } catch {
        // The client went away mid-write; nothing to report.
      } finally {
        limits.shutdown?.removeEventListener("abort", end)
        state.active--
        if (cap) cap.open.active--
        try {
          out.close()
        } catch {}
      }
    },
    cancel() {
      closed = true
      wakeNow()
    },
  })
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" },
  })
}

/** Seconds a client refused a stream is told to wait (Retry-After), then an EventSource's own retry. */
const STREAM_RETRY_S = 5

/** A new stream, or a clear 503 with Retry-After when `limits.maxStreams` (or the listener's cap) are already open. */
export function openStream(s: StreamRequest) {
  const full = s.state.active >= s.limits.maxStreams ? s.limits.maxStreams : s.cap && s.cap.open.active >= s.cap.max ? s.cap.max : null
  if (full !== null)
    throw new HiveError(503, "too_many_streams", `at most ${full} event streams at once here; close one and retry`, undefined, {
      "retry-after": String(STREAM_RETRY_S),
    })
  return stream(s)
}

/**
 * Where a stream starts: after Last-Event-ID (a reconnect), else after ?since=, else at the newest event
 * (a new subscriber wants what happens from now on, not a replay of the whole retention window).
 */
export function cursorOf(request: Request, since: number | undefined, newest: () => number) {
  const header = request.headers.get("last-event-id")
  if (header === null) return since ?? newest()
  if (!/^\d{1,15}$/.test(header.trim())) throw badRequest("Last-Event-ID must be an event id (a whole number)")
  return Number(header.trim())
}

export const events = (
  { stores: { events: store }, commit, ingest, pulse, streams: limits }: Pick<Hive, "stores" | "commit" | "ingest" | "pulse" | "streams">,
  recheckOf: (request: Request) => Recheck,
) => {
  const state = limits.open ?? { active: 0 }
  return new Elysia({ name: "routes.events", prefix: "/events", detail: { tags: ["events"] } })
    .post(
      "",
      async ({ body, request, status }) => {
        const input = { ...body, agent: stamped(callerOf(request), body.agent) }
        // Concurrent single events share one transaction (group commit); each is answered after it commits.
        const event = await commit.run(() => store.append(input))
        pulse.notify()
        return status(201, event)
      },
      { body: EventBody, detail: { description: "An agent token's events carry its own agent (`agent` may be left out)." } },
    )
    .post(
      "/batch",
      async ({ body, request, status }) => {
        const caller = callerOf(request)
        const events = caller.agent === null ? body.events : body.events.map((e) => ({ ...e, agent: stamped(caller, e.agent) }))
        // Atomic, and answered after its COMMIT; written on a second core while batches are heavy (db/ingest).
        const appended = await ingest.appendMany(events)
        pulse.notify()
        return status(201, appended)
      },
      {
        body: Body({ events: t.Array(EventBody, { maxItems: MAX_BATCH, description: `at most ${MAX_BATCH} events, stored atomically` }) }),
        detail: { summary: "Append a batch of events, atomically" },
      },
    )
    .get(
      "",
      ({ query }) => {
        const page = store.next(query.cursor ?? query.since ?? 0, filterOf(query), Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT))
        // A page may hold fewer items than asked (a filter scans a bounded id window) and still say more follow.
        return { items: page.events, next_cursor: page.more ? String(page.cursor) : null }
      },
      {
        query: t.Object({
          cursor: t.Optional(Query.int("cursor")),
          since: t.Optional(Query.int("since")),
          limit: t.Optional(Query.int("limit", 1)),
          ...Filter,
        }),
        detail: { summary: "List events", description: "By id, oldest first, from `cursor` (as every list; `since` is the same, for older clients)." },
      },
    )
    .get(
      "/stream",
      ({ request, query }) =>
        openStream({
          store,
          pulse,
          limits,
          state,
          request,
          cursor: cursorOf(request, query.since, () => store.newest()),
          filter: filterOf(query),
          recheck: recheckOf(request),
        }),
      {
        query: t.Object({ since: t.Optional(Query.int("since")), ...Filter }),
        detail: {
          description:
            "SSE. Without a cursor the stream starts at the newest event. Resume with Last-Event-ID (or ?since=): missed events are replayed, then live, with no gap and no duplicate. A heartbeat comment at least every 8 s. The token is checked again at least every heartbeat: once it is revoked or expired, an `unauthorized` event ends the stream.",
        },
      },
    )
}
