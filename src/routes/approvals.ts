import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { Body, Id, Nullable, OneOf, Page, Query, Text } from "./schemas"

export const approvals = ({ stores: { broker }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.approvals", prefix: "/approvals", detail: { tags: ["broker"] } })
    .post("", async ({ body, status }) => status(201, await commit.run(() => broker.requestApproval(body))), {
      body: Body({ agent: Text(64, 1), kind: Text(64, 1), ref: t.Optional(Nullable(Text(500))), note: t.Optional(Nullable(Text(10_000))) }),
    })
    .get("", ({ query }) => broker.approvals(query), {
      query: t.Object({
        ...Page,
        status: t.Optional(Query.oneOf("status", ["pending", "approved", "denied", "failed"])),
        agent: t.Optional(Query.text("agent", 64)),
      }),
    })
    .get("/:id", ({ params }) => broker.approval(params.id), { params: Id })
    .post("/:id/resolve", ({ params, body }) => commit.run(() => broker.resolveApproval(params.id, body.status, body.note ?? null)), {
      params: Id,
      body: Body({ status: OneOf(["approved", "denied", "failed"]), note: t.Optional(Nullable(Text(10_000))) }),
      detail: { description: "pending -> approved | denied | failed, once. Resolving again is a 409." },
    })
