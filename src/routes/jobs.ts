import { Elysia, t } from "elysia"
import type { Hive } from "../hive"

const Name = t.Object({ name: t.String({ pattern: "^[a-z0-9-]{1,64}$", description: "a job name from GET /api/jobs" }) })

export const jobs = ({ scheduler }: Pick<Hive, "scheduler">) =>
  new Elysia({ name: "routes.jobs", prefix: "/jobs", detail: { tags: ["jobs"] } })
    .get("", () => ({ items: scheduler.status() }), { detail: { description: "Every scheduled job: its schedule, next run and last result." } })
    .post("/:name/run", ({ params }) => scheduler.run(params.name), {
      params: Name,
      detail: { description: "Runs a job now and answers when it ends; a failure is reported in `error`. 409 while it is already running." },
    })
