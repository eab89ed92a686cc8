import type { GroupCommit } from "../db/group-commit"
import { Elysia, t } from "elysia"
import * as Sessions from "../db/sessions"
import { Body, Id, Int, Json, Millis, Nullable, OneOf, Page, Query, Text } from "./schemas"

const optional = {
  project_id: t.Optional(Nullable(Text(128, 1))),
  agent_session_id: t.Optional(Nullable(Text(256, 1))),
  name: t.Optional(Text(500)),
  action_type: t.Optional(Nullable(OneOf(Sessions.ACTION_TYPES))),
  status: t.Optional(OneOf(Sessions.STATUSES)),
  metadata: t.Optional(Json),
  pid: t.Optional(Nullable(Int({ minimum: 0 }))),
  ppid: t.Optional(Nullable(Int({ minimum: 0 }))),
  start_time: t.Optional(Nullable(Int({ minimum: 0 }))),
  cwd: t.Optional(Nullable(Text(4096))),
  label: t.Optional(Nullable(Text(500))),
  notify: t.Optional(t.Boolean()),
  transport_kind: t.Optional(OneOf(Sessions.TRANSPORTS)),
  transport_details: t.Optional(Json),
  state: t.Optional(Text(64, 1)),
  transcript_path: t.Optional(Nullable(Text(4096))),
  expires_at: t.Optional(Nullable(Millis)),
}
const SessionBody = Body(optional)

const SessionQuery = t.Object({
  ...Page,
  project_id: t.Optional(Query.text("project_id", 128)),
  status: t.Optional(Query.oneOf("status", Sessions.STATUSES)),
  ppid: t.Optional(Query.int("ppid")),
  notify: t.Optional(Query.bool("notify")),
  state: t.Optional(Query.text("state", 64)),
  agent_session_id: t.Optional(Query.text("agent_session_id", 256)),
})

export const sessions = (store: Sessions.Store, commit: GroupCommit) =>
  new Elysia({ name: "routes.sessions", prefix: "/sessions", detail: { tags: ["sessions"] } })
    .post("/", async ({ body, status }) => status(201, await commit.run(() => store.create(body))), { body: SessionBody })
    .get("/", ({ query: { limit, cursor, ...filter } }) => store.list(filter, { limit, cursor }), { query: SessionQuery })
    .get("/:id", ({ params }) => store.get(params.id), { params: Id })
    .patch("/:id", ({ params, body }) => commit.run(() => store.update(params.id, body)), { params: Id, body: SessionBody })
    .delete("/:id", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.id))), { params: Id })
