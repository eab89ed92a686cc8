import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { Listing, Page } from "./schemas"

export const audit = ({ stores: { audit: store } }: Pick<Hive, "stores">) =>
  new Elysia({ name: "routes.audit", prefix: "/audit", detail: { tags: ["audit"] } }).get("", ({ query }) => store.list(query), {
    query: t.Object({ ...Page, ...Listing }),
    detail: { description: "Every reveal, materialize, set, delete and key rotation: what, when, by which token or CLI user. Never values." },
  })
