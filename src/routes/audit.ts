import { Elysia, t } from "elysia"
import type * as Audit from "../db/audit"
import { Page } from "./schemas"

export const audit = (store: Audit.Store) =>
  new Elysia({ name: "routes.audit", prefix: "/audit", detail: { tags: ["audit"] } }).get("/", ({ query }) => store.list(query), {
    query: t.Object(Page),
    detail: { description: "Every reveal, materialize, set, delete and key rotation: what, when, by which token or CLI user. Never values." },
  })
