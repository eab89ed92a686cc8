import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { RETENTION_SETTINGS, type Retention } from "../config"
import { badRequest } from "../errors"
import { prunePreviewOffThread } from "../db/usage"
import { preferenceAge, retentionInEffect } from "../jobs/retention"
import { Query } from "./schemas"
import { holdOpen } from "./wait"

const Name = t.Object({ name: t.String({ pattern: "^[a-z0-9-]{1,64}$", description: "a job name from GET /api/jobs" }) })

export const jobs = ({ scheduler }: Pick<Hive, "scheduler">) =>
  new Elysia({ name: "routes.jobs", prefix: "/jobs", detail: { tags: ["jobs"] } })
    .get("", () => ({ items: scheduler.status() }), { detail: { description: "Every scheduled job: its schedule, next run and last result." } })
    .post(
      "/:name/run",
      ({ params, request, server }) => {
        // A backup of a large database takes minutes, longer than the listener lets a quiet connection idle.
        holdOpen(server, request)
        return scheduler.run(params.name)
      },
      {
        params: Name,
        detail: { description: "Runs a job now and answers when it ends; a failure is reported in `error`. 409 while it is already running." },
      },
    )

/** The retention ages the prunes use now, and where each comes from (set one with PUT /api/preferences/retention.*). */
export const retention = ({ config, stores: { preferences } }: Pick<Hive, "config" | "stores">) =>
  new Elysia({ name: "routes.retention", prefix: "/retention", detail: { tags: ["jobs"] } })
    .get("", () => ({ items: retentionInEffect(config.jobs, (key) => preferences.value(key)) }), {
      detail: {
        description:
          'Each retention age in effect: `source` is `environment` (its variable was set at start-up and wins), `preference` (`PUT /api/preferences/retention.events` `{"value": "14d"}`, effective from the next prune, no restart) or `default`.',
      },
    })
    .get(
      "/preview",
      async ({ query }) => {
        const name = query.name as keyof Retention
        const inEffect = retentionInEffect(config.jobs, (key) => preferences.value(key)).find((r) => r.name === name)!
        const ms = query.age === undefined ? inEffect.ms : preferenceAge(query.age)
        if (ms === undefined) throw badRequest('query field "age": an age from 1h to 3650d, such as "14d" or "12h"')
        const before = Date.now() - ms
        return { name, ms, before, ...(await prunePreviewOffThread(config.dbPath, name, before)) }
      },
      {
        query: t.Object({
          name: Query.oneOf("name", Object.keys(RETENTION_SETTINGS) as (keyof Retention)[]),
          age: t.Optional(t.String({ maxLength: 32, description: 'an age such as "3d" (default: the one in effect)' })),
        }),
        detail: {
          description:
            "What the prune of `name` would delete now at `age`, counted without deleting: `rows` of its table and, for sessions, the `events` that go with them. Nothing is changed; try an age before you save it.",
        },
      },
    )
