import type { Database } from "bun:sqlite"
import type { Retention } from "../config"
import { runOnce, workerProgram } from "../workers"

/** The kinds of data inside hive.db, as the desk and `GET /api/storage` show them. */
export type DatabaseKind = "events" | "transcript_index" | "search_index" | "sessions" | "broker" | "other" | "free"

// A table (with its indexes and its full-text shadow tables) by the kind it holds. FTS5 keeps an index in
// five tables named after it, so a prefix names them all.
const KIND_OF_TABLE: [RegExp, DatabaseKind][] = [
  [/^events(_fts.*)?$/, "events"],
  [/^(transcript_index|transcripts_fts.*)$/, "transcript_index"],
  [/^(sessions|messages|questions)_fts.*$/, "search_index"],
  [/^(sessions|session_tokens|projects|worktrees|artifacts|claude_sdk_sessions|turn_stats)$/, "sessions"],
  [/^(messages|approvals|questions|commands|agents)$/, "broker"],
]

const kindOf = (table: string): DatabaseKind => KIND_OF_TABLE.find(([pattern]) => pattern.test(table))?.[1] ?? "other"

/**
 * Bytes of hive.db by kind, from SQLite's own page accounting (dbstat): every page of every table and index,
 * and the free pages the next reclaim gives back. It reads the whole file, so it runs on a connection of its
 * own in a worker (./usage-worker.ts), never on the server's thread.
 */
export function databaseByKind(db: Database): Record<DatabaseKind, number> {
  const bytes: Record<DatabaseKind, number> = { events: 0, transcript_index: 0, search_index: 0, sessions: 0, broker: 0, other: 0, free: 0 }
  const rows = db
    .query<{ table_name: string; bytes: number }, []>(
      `SELECT coalesce(s.tbl_name, d.name) AS table_name, sum(d.pgsize) AS bytes
       FROM dbstat AS d LEFT JOIN sqlite_schema AS s ON s.name = d.name GROUP BY 1`,
    )
    .all()
  for (const r of rows) bytes[kindOf(r.table_name)] += r.bytes
  const { page_size } = db.query<{ page_size: number }, []>("PRAGMA page_size").get()!
  const { freelist_count } = db.query<{ freelist_count: number }, []>("PRAGMA freelist_count").get()!
  bytes.free = page_size * freelist_count
  return bytes
}

/** What a prune would delete at a given age: the rows of its table, and for sessions the events that go with them. */
export type PrunePreview = { rows: number; events?: number }

// The same conditions as the prunes' own statements (events.ts, broker.ts, turn-stats.ts, sessions.ts,
// sdk-sessions.ts, job-runs.ts), counted instead of deleted.
const PREVIEW: Record<keyof Retention, string> = {
  eventsMs: "SELECT count(*) AS n FROM events WHERE ts < ?1",
  messagesMs: "SELECT count(*) AS n FROM messages WHERE delivered_at IS NOT NULL AND delivered_at < ?1",
  turnStatsMs: "SELECT count(*) AS n FROM turn_stats WHERE started_at < ?1",
  sdkSessionsMs: "SELECT count(*) AS n FROM claude_sdk_sessions WHERE last_used_at < ?1",
  jobRunsMs: "SELECT count(*) AS n FROM job_runs WHERE started_at < ?1 AND finished_at IS NOT NULL",
  sessionsMs: "SELECT count(*) AS n FROM sessions WHERE state IN ('dead', 'ended', 'expired') AND updated_at < ?1",
}
const GONE_SESSIONS_EVENTS =
  "SELECT count(*) AS n FROM events WHERE session_id IN (SELECT id FROM sessions WHERE state IN ('dead', 'ended', 'expired') AND updated_at < ?1)"

/** Counts what the prune named by `name` would delete of rows older than `before` (a scan: run it in the worker). */
export function prunePreview(db: Database, name: keyof Retention, before: number): PrunePreview {
  const count = (sql: string) => db.query<{ n: number }, [number]>(sql).get(before)!.n
  const rows = count(PREVIEW[name])
  return name === "sessionsMs" ? { rows, events: count(GONE_SESSIONS_EVENTS) } : { rows }
}

export type UsageJob = { dbPath: string } & ({ ask: "kinds" } | { ask: "preview"; name: keyof Retention; before: number })

const PROGRAM = workerProgram("db/usage-worker.ts", new URL("./usage-worker.ts", import.meta.url))

/** Bytes by kind, counted on a read-only connection in a worker: the server keeps answering meanwhile. */
export const databaseByKindOffThread = (dbPath: string) => runOnce<Record<DatabaseKind, number>>(PROGRAM, { dbPath, ask: "kinds" } satisfies UsageJob)

/** prunePreview, the same way. */
export const prunePreviewOffThread = (dbPath: string, name: keyof Retention, before: number) =>
  runOnce<PrunePreview>(PROGRAM, { dbPath, ask: "preview", name, before } satisfies UsageJob)
