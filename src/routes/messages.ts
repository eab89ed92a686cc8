import { Elysia, t } from "elysia"
import { actingAs, callerOf, mustBeSelf, mustOwn } from "./actor"
import { holdOpen, longPoll, MAX_WAIT_MS, Wait, waitMs, waitSignal } from "./wait"
import type { Hive } from "../hive"
import { Body, Int, Page, Text } from "./schemas"

const Party = t.String({ minLength: 1, maxLength: 64, description: "an agent name, or operator" })

export const messages = ({ stores: { broker }, commit, pulse, streams }: Pick<Hive, "stores" | "commit" | "pulse" | "streams">) =>
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
    .get(
      "/inbox/:recipient",
      ({ params, query: { wait, ...page }, request, server }) => {
        const recipient = mustBeSelf(callerOf(request), params.recipient, "inbox")!
        const read = () => broker.inbox(recipient, page)
        if (wait === undefined) return read()
        holdOpen(server, request)
        return longPoll({ pulse, ms: waitMs(wait), signal: waitSignal(request, streams.shutdown) }, read, (p) => p.items.length > 0)
      },
      {
        params: t.Object({ recipient: Party }),
        query: t.Object({ ...Page, wait: t.Optional(Wait("query")) }),
        detail: {
          description: `Undelivered messages, oldest first. They stay until acknowledged. ?wait=30s holds an empty inbox open until a message arrives (at most ${MAX_WAIT_MS / 1000}s).`,
        },
      },
    )
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
