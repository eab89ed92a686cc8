import type { Hive } from "../hive"
import { Elysia } from "elysia"
import { liveness } from "./liveness"

/** Unauthenticated by design; what it tells which listener: `liveness`. */
export const health = ({ db, config: { version } }: Pick<Hive, "db" | "config">, opts: { public?: boolean } = {}) =>
  new Elysia({ name: "routes.health" }).get(
    "/health",
    ({ status }) => {
      const answer = liveness(db, version, opts)
      return answer.status === 200 ? answer.body : status(503, answer.body)
    },
    {
      detail: {
        tags: ["health"],
        description: opts.public
          ? "Liveness only (this listener is public through the tunnel). No credential needed."
          : "Liveness, version and schema version. No token needed.",
        security: [],
      },
    },
  )
