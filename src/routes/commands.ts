import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { actingAs, callerOf, mustOwn } from "./actor"
import { Body, Id, Int, Page, Query, Text } from "./schemas"

export const commands = ({ stores: { commands: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.commands", prefix: "/commands", detail: { tags: ["commands"] } })
    .post(
      "",
      async ({ body, status }) => {
        const { command, created } = await commit.run(() => store.enqueue(body))
        return status(created ? 201 : 200, command)
      },
      {
        body: Body({ id: Text(200, 1), target: Text(200, 1), payload: t.Unknown() }),
        detail: { description: "The client's id dedups: the same id again returns the same command (200), a different payload under it is a 409." },
      },
    )
    .post(
      "/claim",
      async ({ body, request, status }) => {
        const target = actingAs(callerOf(request), body.target, "target")
        const claimed = await commit.run(() => store.claim(target, body.lease_ms ?? 30_000))
        return claimed ?? status(204, undefined)
      },
      {
        body: Body({ target: t.Optional(Text(200, 1)), lease_ms: t.Optional(Int({ minimum: 1, maximum: 24 * 3_600_000 })) }),
        detail: {
          description:
            "The oldest unacknowledged command whose lease is free; 204 when there is none. Unacknowledged past its lease, it is delivered again. An agent token claims its own commands (`target` may be left out).",
        },
      },
    )
    .post(
      "/:id/ack",
      ({ params, request }) => {
        mustOwn(callerOf(request), [store.get(params.id).target], `command ${params.id}`)
        return commit.run(() => store.ack(params.id))
      },
      {
        params: Id,
        detail: { summary: "Acknowledge a command: done, never claimed again" },
      },
    )
    .get(
      "/:id",
      ({ params, request }) => {
        const command = store.get(params.id)
        mustOwn(callerOf(request), [command.target], `command ${command.id}`)
        return command
      },
      { params: Id },
    )
    .get("", ({ query: { target, ...page }, request }) => store.pending(actingAs(callerOf(request), target, "target"), page), {
      query: t.Object({ target: t.Optional(Query.text("target", 200)), ...Page }),
      detail: { summary: "A target's commands not yet acknowledged, oldest first" },
    })
