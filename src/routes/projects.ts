import type { Hive } from "../hive"
import { Elysia, t } from "elysia"
import { Body, Id, Json, Listing, Page, Text } from "./schemas"

const fields = { name: Text(200, 1), directory: Text(4096, 1), settings: t.Optional(Json) }
const ProjectInput = Body(fields)
const ProjectPatch = Body({ name: t.Optional(fields.name), directory: t.Optional(fields.directory), settings: fields.settings })

export const projects = ({ stores: { projects: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.projects", prefix: "/projects", detail: { tags: ["projects"] } })
    .post("", async ({ body, status }) => status(201, await commit.run(() => store.create(body))), { body: ProjectInput })
    .get("", ({ query }) => store.list(query), { query: t.Object({ ...Page, ...Listing }) })
    .get("/:id", ({ params }) => store.get(params.id), { params: Id })
    .patch("/:id", ({ params, body }) => commit.run(() => store.update(params.id, body)), { params: Id, body: ProjectPatch })
    .delete("/:id", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.id))), {
      params: Id,
      detail: { description: "Deletes the project with its sessions and worktrees." },
    })
