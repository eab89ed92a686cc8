import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { retentionInEffect } from "../jobs/retention"

const Name = t.Object({ name: t.String({ pattern: "^[a-z0-9-]{1,64}$", description: "a job name from GET /api/jobs" }) })

export const jobs = ({ scheduler }: Pick<Hive, "scheduler">) =>
  new Elysia({ name: "routes.jobs", prefix: "/jobs", detail: { tags: ["jobs"] } })
    .get("", () => ({ items: scheduler.status() }), { detail: { description: "Every scheduled job: its schedule, next run and last result." } })
    .post("/:name/run", ({ params }) => scheduler.run(params.name), {
      params: Name,
      detail: { description: "Runs a job now and answers when it ends; a failure is reported in `error`. 409 while it is already running." },
    })

/** The retention ages the prunes use now, and where each comes from (set one with PUT /api/preferences/retention.*). */
export const retention = ({ config, stores: { preferences } }: Pick<Hive, "config" | "stores">) =>
  new Elysia({ name: "routes.retention", prefix: "/retention", detail: { tags: ["jobs"] } }).get(
    "",
    () => ({ items: retentionInEffect(config.jobs, (key) => preferences.value(key)) }),
    {
      detail: {
        description:
          'Each retention age in effect: `source` is `environment` (its variable was set at start-up and wins), `preference` (`PUT /api/preferences/retention.events` `{"value": "14d"}`, effective from the next prune, no restart) or `default`.',
      },
    },
  )
