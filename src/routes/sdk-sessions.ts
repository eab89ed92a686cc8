import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { Body, Int, Millis, Page, Text } from "./schemas"

const Key = t.Object({ key: t.String({ minLength: 1, maxLength: 1000, description: "<forge>:<agent>:<repo>:<issue>, URL-encoded" }) })

export const sdkSessions = ({ stores: { sdkSessions: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.sdk-sessions", prefix: "/sdk-sessions", detail: { tags: ["sdk sessions"] } })
    .get("", ({ query }) => store.list(query), { query: t.Object(Page) })
    .post(
      "/prune",
      ({ body }) => {
        const cutoff = "older_than" in body ? body.older_than : Date.now() - body.unused_for_ms
        return commit.run(() => ({ deleted: store.pruneStale(cutoff) }))
      },
      {
        body: t.Union([Body({ older_than: Millis }), Body({ unused_for_ms: Int({ minimum: 0 }) })]),
        detail: { description: "Drops entries last used before `older_than` (unix ms), or unused for `unused_for_ms`." },
      },
    )
    .get("/:key", ({ params }) => store.get(params.key), { params: Key })
    .put("/:key", ({ params, body }) => commit.run(() => store.set(params.key, body.session_id)), { params: Key, body: Body({ session_id: Text(500, 1) }) })
    .post("/:key/touch", ({ params }) => commit.run(() => store.touch(params.key)), { params: Key, detail: { summary: "Mark an entry as used now" } })
    .delete("/:key", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.key))), { params: Key })
