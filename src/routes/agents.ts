import { Elysia, t } from "elysia"
import { AGENT_NAME } from "../db/agents"
import type { Hive } from "../hive"
import { Body, Page, Query, Text } from "./schemas"

const Name = t.Object({ name: t.String({ pattern: AGENT_NAME, description: "lower-case letters, digits, . _ -; 'operator' is reserved" }) })

export const agents = ({ stores: { agents: store }, commit, vault }: Pick<Hive, "stores" | "commit" | "vault">) =>
  new Elysia({ name: "routes.agents", prefix: "/agents", detail: { tags: ["agents"] } })
    .post("", async ({ body, status }) => status(201, await commit.run(() => store.create(body.name, body.model))), {
      body: Body({ name: t.String({ pattern: AGENT_NAME }), model: t.Optional(Text(200, 1)) }),
    })
    .get("", ({ query }) => store.list(query), { query: t.Object(Page), detail: { summary: "List agents by name, a page at a time" } })
    .get("/:name", ({ params }) => store.get(params.name), { params: Name })
    .patch("/:name", ({ params, body }) => commit.run(() => store.setModel(params.name, body.model)), { params: Name, body: Body({ model: Text(200, 1) }) })
    .delete(
      "/:name",
      async ({ params, query, status }) => {
        if (!query.purge) return commit.run(() => store.destroy(params.name))
        await commit.run(() => store.purge(params.name))
        vault.scrub()
        return status(204, undefined)
      },
      {
        params: Name,
        query: t.Object({ purge: t.Optional(Query.bool("purge")) }),
        detail: {
          description:
            "Destroy: a tombstone that keeps the agent's state and fails its pending approvals. ?purge=true also deletes its messages, questions, commands and token secret (approvals stay: audit trail).",
        },
      },
    )
    .post("/:name/revive", ({ params }) => commit.run(() => store.revive(params.name)), { params: Name, detail: { summary: "Bring a destroyed agent back" } })
