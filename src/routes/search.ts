import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { DEFAULT_LIMIT, MAX_LIMIT } from "../db/entity"
import { nextTurn } from "../jobs/retention"
import { callerOf } from "./actor"
import { Query } from "./schemas"

export const search = ({ stores: { search: store } }: Pick<Hive, "stores">) =>
  new Elysia({ name: "routes.search", detail: { tags: ["search"] } }).get(
    "/search",
    async ({ query, request }) => {
      // Events are indexed lazily (ingest stays fast): catch up first, a step at a time, so results are in step.
      while (store.indexStep() > 0) await nextTurn()
      const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT)
      const offset = Number(query.cursor ?? 0)
      const hits = store.search(query.q, { project: query.project, session: query.session, agent: callerOf(request).agent ?? undefined }, limit + 1, offset)
      return { items: hits.slice(0, limit), next_cursor: hits.length > limit ? String(offset + limit) : null }
    },
    {
      query: t.Object({
        q: Query.text("q", 500),
        project: t.Optional(Query.text("project", 128)),
        session: t.Optional(Query.text("session", 128)),
        limit: t.Optional(Query.int("limit", 1)),
        cursor: t.Optional(t.String({ pattern: "^\\d{1,6}$", error: 'query field "cursor": a cursor from next_cursor' })),
      }),
      detail: {
        description:
          "Full-text search over event payloads, messages, questions and session labels. Each word must match (a trailing * matches a prefix). Items: kind, id, session_id, snippet ([match] marked), rank. ?session= or ?project= keeps events and sessions of that scope. An agent token finds only its own: its events and the sessions it posted them in, its messages and questions.",
      },
    },
  )
