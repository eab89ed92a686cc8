import type { Hive } from "../hive"
import { Elysia, t } from "elysia"
import { Body, Id, Nullable, Listing, Page, Query, Text } from "./schemas"

const fields = { path: Text(4096, 1), branch: Text(500, 1), description: t.Optional(Nullable(Text(10_000))) }
const WorktreeInput = Body({ project_id: Text(128, 1), ...fields })
const WorktreePatch = Body({ path: t.Optional(fields.path), branch: t.Optional(fields.branch), description: fields.description })

export const worktrees = ({ stores: { worktrees: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.worktrees", prefix: "/worktrees", detail: { tags: ["worktrees"] } })
    .post("", async ({ body, status }) => status(201, await commit.run(() => store.create(body))), { body: WorktreeInput })
    .get("", ({ query: { limit, cursor, order, count, ...filter } }) => store.list(filter, { limit, cursor, order, count }), {
      query: t.Object({ ...Page, ...Listing, project_id: t.Optional(Query.text("project_id", 128)) }),
    })
    .get("/:id", ({ params }) => store.get(params.id), { params: Id })
    .patch("/:id", ({ params, body }) => commit.run(() => store.update(params.id, body)), { params: Id, body: WorktreePatch })
    .delete("/:id", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.id))), { params: Id })
