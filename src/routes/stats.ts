import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { badRequest } from "../errors"
import { actingAs, callerOf } from "./actor"
import { Body, Int, Millis, Nullable, Query, Text } from "./schemas"

const Count = Int({ minimum: 0 })
const TurnBody = Body({
  agent: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "left out with an agent token: its own agent" })),
  model: t.Optional(Nullable(Text(200))),
  wake_from: t.Optional(Nullable(Text(200))),
  result_kind: t.Optional(Nullable(Text(200))),
  started_at: Millis,
  ended_at: Millis,
  duration_ms: t.Optional(Count),
  input_tokens: t.Optional(Count),
  output_tokens: t.Optional(Count),
  cache_read_tokens: t.Optional(Count),
  cache_creation_tokens: t.Optional(Count),
  tool_call_count: t.Optional(Count),
  tool_call_breakdown: t.Optional(t.Record(t.String({ maxLength: 200 }), Count)),
  open_threads_count: t.Optional(Nullable(Count)),
  open_reminders_count: t.Optional(Nullable(Count)),
})

export const stats = ({ stores: { turnStats: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.stats", prefix: "/stats", detail: { tags: ["stats"] } })
    .post(
      "/turns",
      async ({ body, request, status }) => {
        const agent = actingAs(callerOf(request), body.agent, "agent")
        if (body.ended_at < body.started_at) throw badRequest('field "ended_at": must not be before started_at')
        return status(201, { id: await commit.run(() => store.record({ ...body, agent })) })
      },
      { body: TurnBody, detail: { description: "One row per agent turn." } },
    )
    .get("/turns/summary", ({ query }) => ({ items: store.summarize(query.by ?? "agent", query) }), {
      query: t.Object({
        by: t.Optional(Query.oneOf("by", ["agent", "model", "day"])),
        since: t.Optional(Query.int("since")),
        until: t.Optional(Query.int("until")),
        agent: t.Optional(Query.text("agent", 64)),
      }),
      detail: { description: "Per agent, model or UTC day over [since, until): turns, tokens, total and p95 duration, top tools." },
    })
