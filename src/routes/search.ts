import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { DEFAULT_LIMIT, MAX_LIMIT } from "../db/entity"
import { nextTurn } from "../jobs/retention"
import { callerOf } from "./actor"
import { Query } from "./schemas"

/** How long a search may spend catching the index up before it answers from what is indexed. */
export const CATCH_UP_MS = 500

export const search = ({ stores: { search: store }, streams, logger }: Pick<Hive, "stores" | "streams" | "logger">) => {
  // One catch-up at a time, in the background once a search has stopped waiting for it; it ends with the server.
  let catchingUp: Promise<void> | null = null
  const catchUp = () =>
    (catchingUp ??= (async () => {
      try {
        while (!streams.shutdown?.aborted && store.indexStep() > 0) await nextTurn()
      } catch (err) {
        // Stopped (the database may close under it) or failed: the next search starts again from the saved cursor.
        if (!streams.shutdown?.aborted) logger.warn(`the search index stopped catching up: ${(err as Error).message}`)
      } finally {
        catchingUp = null
      }
    })())
  return new Elysia({ name: "routes.search", detail: { tags: ["search"] } }).get(
    "/search",
    async ({ query, request }) => {
      // Events are indexed lazily (ingest stays fast): a search catches up first, a step at a time, for up to
      // CATCH_UP_MS; after a big ingest (the first search over millions of events takes minutes) it answers from
      // what is indexed, says how many events are not yet, and the index goes on catching up in the background.
      const until = performance.now() + CATCH_UP_MS
      while (performance.now() < until && store.indexStep() > 0) await nextTurn()
      const notIndexed = store.behind()
      if (notIndexed > 0) void catchUp()
      const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT)
      const offset = Number(query.cursor ?? 0)
      const hits = store.search(query.q, { project: query.project, session: query.session, agent: callerOf(request).agent ?? undefined }, limit + 1, offset)
      return { items: hits.slice(0, limit), next_cursor: hits.length > limit ? String(offset + limit) : null, events_not_indexed: notIndexed }
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
          "Full-text search over event payloads, messages, questions and session labels. Each word must match (a trailing * matches a prefix). Items: kind, id, session_id, snippet ([match] marked), rank. `events_not_indexed`: events too new for the index yet (after a big ingest it catches up in the background; a search waits for it up to half a second). ?session= or ?project= keeps events and sessions of that scope. An agent token finds only its own: its events and the sessions it posted them in, its messages and questions.",
      },
    },
  )
}
