import { Elysia, t } from "elysia"
import { actingAs, callerOf, mustBeSelf, mustOwn } from "./actor"
import type { Hive } from "../hive"
import { Body, Int, Page, Text } from "./schemas"

const Party = t.String({ minLength: 1, maxLength: 64, description: "an agent name, or operator" })

export const messages = ({ stores: { broker }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.messages", prefix: "/messages", detail: { tags: ["broker"] } })
    .post(
      "",
      async ({ body, request, status }) => {
        const from = actingAs(callerOf(request), body.from, "from")
        return status(201, await commit.run(() => broker.send(from, body.to, body.body)))
      },
      {
        body: Body({ from: t.Optional(Party), to: Party, body: Text(256 * 1024, 1) }),
        detail: { description: "An agent token sends as its own agent (`from` may be left out)." },
      },
    )
    .get("/inbox/:recipient", ({ params, query, request }) => broker.inbox(mustBeSelf(callerOf(request), params.recipient, "inbox")!, query), {
      params: t.Object({ recipient: Party }),
      query: t.Object(Page),
      detail: { description: "Undelivered messages, oldest first. They stay until acknowledged." },
    })
    .post(
      "/inbox/:recipient/ack",
      ({ params, body, request }) => {
        const recipient = mustBeSelf(callerOf(request), params.recipient, "inbox")!
        return commit.run(() => ({ acknowledged: broker.acknowledge(recipient, body.up_to) }))
      },
      {
        params: t.Object({ recipient: Party }),
        body: Body({ up_to: Int({ minimum: 0, description: "the id of the last message handled" }) }),
        detail: { summary: "Acknowledge an inbox up to a message" },
      },
    )
    .get(
      "/history/:a/:b",
      ({ params, query, request }) => {
        mustOwn(callerOf(request), [params.a, params.b], `the history of ${params.a} and ${params.b}`)
        return broker.history(params.a, params.b, query)
      },
      {
        params: t.Object({ a: Party, b: Party }),
        query: t.Object(Page),
        detail: { description: "Everything a and b sent each other, oldest first." },
      },
    )
