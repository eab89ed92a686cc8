import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { Body, Int, Page, Text } from "./schemas"

const Party = t.String({ minLength: 1, maxLength: 64, description: "an agent name, or operator" })

export const messages = ({ stores: { broker }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.messages", prefix: "/messages", detail: { tags: ["broker"] } })
    .post("", async ({ body, status }) => status(201, await commit.run(() => broker.send(body.from, body.to, body.body))), {
      body: Body({ from: Party, to: Party, body: Text(256 * 1024, 1) }),
    })
    .get("/inbox/:recipient", ({ params, query }) => broker.inbox(params.recipient, query), {
      params: t.Object({ recipient: Party }),
      query: t.Object(Page),
      detail: { description: "Undelivered messages, oldest first. They stay until acknowledged." },
    })
    .post("/inbox/:recipient/ack", ({ params, body }) => commit.run(() => ({ acknowledged: broker.acknowledge(params.recipient, body.up_to) })), {
      params: t.Object({ recipient: Party }),
      body: Body({ up_to: Int({ minimum: 0, description: "the id of the last message handled" }) }),
      detail: { summary: "Acknowledge an inbox up to a message" },
    })
    .get("/history/:a/:b", ({ params, query }) => broker.history(params.a, params.b, query), {
      params: t.Object({ a: Party, b: Party }),
      query: t.Object(Page),
      detail: { description: "Everything a and b sent each other, oldest first." },
    })
