import { Elysia, t } from "elysia"
import { actingAs, callerOf, mustBeSelf, mustOwn } from "./actor"
import { holdOpen, longPoll, MAX_WAIT_MS, Wait, waitMs, waitSignal } from "./wait"
import type { Hive } from "../hive"
import { badRequest } from "../errors"
import { Body, Id, Int, Millis, Nullable, Page, Query, Text } from "./schemas"

const AskInput = Body({
  asker: t.Optional(Text(64, 1)),
  target: t.Optional(Nullable(Text(64, 1))),
  question: Text(10_000, 1),
  options: t.Optional(t.Array(Text(500, 1), { maxItems: 50 })),
  multi: t.Optional(t.Boolean()),
  deadline_at: t.Optional(Nullable(Millis)),
  ttl_ms: t.Optional(Int({ minimum: 1 })),
})

export const questions = ({ stores: { broker }, commit, pulse, streams }: Pick<Hive, "stores" | "commit" | "pulse" | "streams">) =>
  new Elysia({ name: "routes.questions", prefix: "/questions", detail: { tags: ["broker"] } })
    .post(
      "",
      async ({ body, request, status }) => {
        const asker = actingAs(callerOf(request), body.asker, "asker")
        if (body.deadline_at != null && body.ttl_ms !== undefined) throw badRequest("give deadline_at or ttl_ms, not both")
        const asked = await commit.run(() => {
          const now = Date.now()
          const deadlineAt = body.deadline_at ?? (body.ttl_ms ? now + body.ttl_ms : null)
          return broker.ask(
            { asker, target: body.target ?? null, question: body.question, options: body.options ?? [], multi: body.multi ?? false, deadlineAt },
            now,
          )
        })
        return status(201, asked)
      },
      {
        body: AskInput,
        detail: {
          description:
            "An empty target (or 'operator') asks the operator; a named agent gets the question in its inbox. An agent token asks as its own agent (`asker` may be left out).",
        },
      },
    )
    .get("", ({ query, request }) => broker.questions({ ...query, target: mustBeSelf(callerOf(request), query.target, "target") }), {
      query: t.Object({ ...Page, status: t.Optional(Query.oneOf("status", ["open", "answered", "timed_out"])), target: t.Optional(Query.text("target", 64)) }),
    })
    .get(
      "/:id",
      async ({ params, query, request, server }) => {
        const first = broker.peekQuestion(params.id)
        mustOwn(callerOf(request), [first.asker, first.target], `question ${first.id}`)
        if (query.wait !== undefined && first.status === "open") {
          holdOpen(server, request)
          await longPoll(
            { pulse, ms: waitMs(query.wait), signal: waitSignal(request, streams.shutdown), by: first.deadline_at },
            () => broker.peekQuestion(params.id),
            (q) => q.status !== "open",
          )
        }
        return broker.question(params.id)
      },
      {
        params: Id,
        query: t.Object({ wait: t.Optional(Wait("query")) }),
        detail: {
          description: `?wait=30s holds the request until the question is answered or times out (at most ${MAX_WAIT_MS / 1000}s), then answers its state.`,
        },
      },
    )
    .post(
      "/:id/answer",
      ({ params, body, request }) => {
        mustOwn(callerOf(request), [broker.question(params.id).target], `question ${params.id}`)
        return commit.run(() => broker.answer(params.id, body.answer))
      },
      {
        params: Id,
        body: Body({ answer: t.Union([Text(500, 1), t.Array(Text(500, 1), { maxItems: 50 })]) }),
        detail: { description: "Checked against the options (and multi). Past the deadline the question is timed_out: a 409, never an answer." },
      },
    )
