import { Elysia, t } from "elysia"
import { actingAs, callerOf, mustBeSelf, mustOwn } from "./actor"
import { holdOpen, longPoll, MAX_WAIT_MS, Wait, waitMs, waitSignal } from "./wait"
import type { Hive } from "../hive"
import { Body, Id, Nullable, OneOf, Page, Query, Text } from "./schemas"

export const approvals = ({ stores: { broker }, commit, pulse, streams }: Pick<Hive, "stores" | "commit" | "pulse" | "streams">) =>
  new Elysia({ name: "routes.approvals", prefix: "/approvals", detail: { tags: ["broker"] } })
    .post(
      "",
      async ({ body, request, status }) => {
        const agent = actingAs(callerOf(request), body.agent, "agent")
        return status(201, await commit.run(() => broker.requestApproval({ ...body, agent })))
      },
      {
        body: Body({ agent: t.Optional(Text(64, 1)), kind: Text(64, 1), ref: t.Optional(Nullable(Text(500))), note: t.Optional(Nullable(Text(10_000))) }),
        detail: { description: "An agent token requests as its own agent (`agent` may be left out)." },
      },
    )
    .get("", ({ query, request }) => broker.approvals({ ...query, agent: mustBeSelf(callerOf(request), query.agent, "agent") }), {
      query: t.Object({
        ...Page,
        status: t.Optional(Query.oneOf("status", ["pending", "approved", "denied", "failed", "withdrawn"])),
        agent: t.Optional(Query.text("agent", 600)),
        session_id: t.Optional(Query.text("session_id", 128)),
      }),
    })
    .get(
      "/:id",
      async ({ params, query, request, server }) => {
        const first = broker.approval(params.id)
        mustOwn(callerOf(request), [first.agent], `approval ${first.id}`)
        if (query.wait === undefined || first.status !== "pending") return first
        holdOpen(server, request)
        return longPoll(
          { pulse, ms: waitMs(query.wait), signal: waitSignal(request, streams.shutdown) },
          () => broker.approval(params.id),
          (a) => a.status !== "pending",
        )
      },
      {
        params: Id,
        query: t.Object({ wait: t.Optional(Wait("query")) }),
        detail: { description: `?wait=30s holds the request until the approval is resolved (at most ${MAX_WAIT_MS / 1000}s), then answers its state.` },
      },
    )
    .post("/:id/resolve", ({ params, body }) => commit.run(() => broker.resolveApproval(params.id, body.status, body.note ?? null)), {
      params: Id,
      body: Body({ status: OneOf(["approved", "denied", "failed"]), note: t.Optional(Nullable(Text(10_000))) }),
      detail: { description: "pending -> approved | denied | failed, once. Resolving again is a 409." },
    })
