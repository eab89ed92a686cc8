import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { actingAs, callerOf, mustOwn } from "./actor"
import { holdOpen, longPoll, Wait, waitMs, waitSignal } from "./wait"
import { Body, Id, Int, Page, Query, Text } from "./schemas"

export const commands = ({ stores: { commands: store }, commit, pulse, streams }: Pick<Hive, "stores" | "commit" | "pulse" | "streams">) =>
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
      async ({ body, request, server, status }) => {
        const target = actingAs(callerOf(request), body.target, "target")
        const claim = () => commit.run(() => store.claim(target, body.lease_ms ?? 30_000))
        let claimed = await claim()
        const until = Date.now() + waitMs(body.wait)
        const signal = waitSignal(request, streams.shutdown)
        if (body.wait !== undefined) holdOpen(server, request)
        // Another claimer may take what woke us: look again, and claim again, until the wait is over.
        while (!claimed && Date.now() < until && !signal.aborted) {
          const free = await longPoll(
            { pulse, ms: until - Date.now(), signal },
            () => store.claimable(target),
            (x) => x,
          )
          if (free) claimed = await claim()
        }
        return claimed ?? status(204, undefined)
      },
      {
        body: Body({
          target: t.Optional(Text(200, 1)),
          lease_ms: t.Optional(Int({ minimum: 1, maximum: 24 * 3_600_000 })),
          wait: t.Optional(Wait("body")),
        }),
        detail: {
          description:
            'The oldest unacknowledged command whose lease is free; 204 when there is none. Unacknowledged past its lease, it is delivered again. An agent token claims its own commands (`target` may be left out). `wait: "30s"` holds the request until a command is free (at most 60s).',
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
