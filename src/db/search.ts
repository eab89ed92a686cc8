import type { Database } from "bun:sqlite"
import { badRequest, sqliteCode } from "../errors"
import { immediate } from "./tx"

export type Hit = { kind: "event" | "message" | "question" | "session" | "transcript"; id: string; session_id: string | null; snippet: string; rank: number }
/** `agent`: only what is that agent's own (its events and the sessions it posted them in, its messages and questions). */
export type SearchFilter = { project?: string; session?: string; agent?: string }

/** Ids of events indexed per transaction while catching up (a few ms each). */
export const INDEX_STEP = 5000
/** How deep pagination may go: past this, refine the query. */
export const MAX_OFFSET = 10_000

/**
 * Turns what a person typed into an FTS5 query that cannot be a syntax error: each word is a quoted term
 * (all must match); a trailing * keeps a prefix search.
 */
export function toMatch(q: string): string {
  const terms = q
    // Control characters (a NUL ends an FTS5 string early) separate words like spaces do.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .split(/\s+/)
    .map((w) => w.trim())
    .filter(Boolean)
    .slice(0, 32)
    .map((w) => {
      const prefix = w.endsWith("*") && w.length > 1
      const word = (prefix ? w.slice(0, -1) : w).replaceAll('"', '""')
      return `"${word}"${prefix ? "*" : ""}`
    })
  if (!terms.length) throw badRequest('query field "q": give at least one word to search for')
  return terms.join(" ")
}

const SNIPPET = (table: string) => `snippet(${table}, 0, '[', ']', '…', 12)`

function statements(db: Database) {
  return {
    state: db.query<{ cursor: number }, []>("SELECT cursor FROM search_state WHERE name = 'events'"),
    newest: db.query<{ id: number | null }, []>("SELECT max(id) AS id FROM events"),
    index: db.query(
      `INSERT OR REPLACE INTO events_fts (rowid, body, session_id)
       SELECT e.id, e.kind || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_tree(e.payload) WHERE type = 'text'), ''), e.session_id
       FROM events e WHERE e.id > ?1 AND e.id <= ?2`,
    ),
    advance: db.query("UPDATE search_state SET cursor = ? WHERE name = 'events'"),
    progress: db.query<{ indexed_to: number; entries: number }, [string, string]>(
      "SELECT indexed_to, entries FROM transcript_index WHERE session_id = ? AND agent_id = ?",
    ),
    addText: db.query("INSERT INTO transcripts_fts (body, session_id, agent_id, offset) VALUES (?, ?, ?, ?)"),
    saveProgress: db.query(
      `INSERT INTO transcript_index (session_id, agent_id, indexed_to, entries, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (session_id, agent_id) DO UPDATE SET indexed_to = excluded.indexed_to, entries = entries + excluded.entries, updated_at = excluded.updated_at`,
    ),
    rewind: db.query("UPDATE search_state SET cursor = min(cursor, ?) WHERE name = 'events'"),
  }
}

/** The full-text index over events, transcripts, sessions, messages and questions, and the search over it. */
export class Search {
  readonly #db: Database
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#db = db
    this.#q = statements(db)
  }

  /** A hit's snippet: the words around what matched, from the index row it came from. */
  #snippet(table: FtsTable, match: string, row: number): string {
    const found = this.#db
      .query<{ snippet: string }, [string, number]>(`SELECT ${SNIPPET(table)} AS snippet FROM ${table} WHERE ${table} MATCH ?1 AND rowid = ?2`)
      .get(match, row)
    return found?.snippet ?? ""
  }

  /** Events written with ids at or below `id` (an import) are indexed anew on the next catch-up. */
  reindexAfter(id: number) {
    this.#q.rewind.run(Math.max(0, id))
  }

  /** How far a session's transcript (or, with `agentId`, one of its subagents') has been indexed (undefined: never asked). */
  transcriptProgress(sessionId: string, agentId = ""): { indexed_to: number; entries: number } | undefined {
    return this.#q.progress.get(sessionId, agentId) ?? undefined
  }

  /** One page of a transcript's text, and the byte offset indexing has reached, in one transaction. */
  addTranscript(sessionId: string, agentId: string, texts: { offset: number; body: string }[], indexedTo: number, now = Date.now()) {
    immediate(this.#db, () => {
      for (const t of texts) this.#q.addText.run(t.body, sessionId, agentId, t.offset)
      this.#q.saveProgress.run(sessionId, agentId, indexedTo, texts.length, now)
    })
  }

  /** How many event ids the index has yet to cover (0: in step). */
  behind(): number {
    return Math.max(0, (this.#q.newest.get()!.id ?? 0) - this.#q.state.get()!.cursor)
  }

  /** Indexes the next step of events not yet indexed; returns how many ids it covered (0: in step). */
  indexStep(): number {
    return immediate(this.#db, () => {
      const from = this.#q.state.get()!.cursor
      const to = Math.min(this.#q.newest.get()!.id ?? 0, from + INDEX_STEP)
      if (to <= from) return 0
      this.#q.index.run(from, to)
      this.#q.advance.run(to)
      return to - from
    })
  }

  /** Matches across events, messages, questions and sessions, best first; a session or project filter keeps what belongs to it. */
  search(q: string, filter: SearchFilter, limit: number, offset: number): Hit[] {
    if (offset > MAX_OFFSET) throw badRequest(`cursor: results past ${MAX_OFFSET} are not paged; narrow the search`)
    const match = toMatch(q)
    const parts: string[] = []
    const args: Record<string, string | number> = { match, limit, offset }
    let eventScope = ""
    let sessionScope = ""
    if (filter.session !== undefined) {
      args.session = filter.session
      eventScope = "AND session_id = $session"
      sessionScope = "AND session_id = $session"
    }
    if (filter.project !== undefined) {
      args.project = filter.project
      eventScope += " AND session_id IN (SELECT id FROM sessions WHERE project_id = $project)"
      sessionScope += " AND project_id = $project"
    }
    let transcriptScope = `${filter.session !== undefined ? "AND session_id = $session" : ""}${filter.project !== undefined ? " AND session_id IN (SELECT id FROM sessions WHERE project_id = $project)" : ""}`
    if (filter.agent !== undefined) {
      args.agent = filter.agent
      eventScope += " AND rowid IN (SELECT id FROM events WHERE agent = $agent)"
      const itsSessions = " AND session_id IN (SELECT DISTINCT session_id FROM events WHERE agent = $agent AND session_id IS NOT NULL)"
      sessionScope += itsSessions
      transcriptScope += itsSessions
    }
    parts.push(
      `SELECT 'event' AS kind, CAST(rowid AS TEXT) AS id, session_id, rank, rowid AS row, 'events_fts' AS source FROM events_fts WHERE events_fts MATCH $match ${eventScope}`,
    )
    parts.push(
      // A subagent's entry: <session>:<agent>:<offset>; the session's own: <session>:<offset>.
      `SELECT 'transcript' AS kind, session_id || ':' || CASE agent_id WHEN '' THEN '' ELSE agent_id || ':' END || offset AS id, session_id, rank, rowid AS row, 'transcripts_fts' AS source FROM transcripts_fts WHERE transcripts_fts MATCH $match ${transcriptScope}`,
    )
    parts.push(
      `SELECT 'session' AS kind, session_id AS id, session_id, rank, rowid AS row, 'sessions_fts' AS source FROM sessions_fts WHERE sessions_fts MATCH $match ${sessionScope}`,
    )
    // Messages and questions belong to agents, not to a session or project: only an unscoped search finds them.
    if (filter.session === undefined && filter.project === undefined) {
      const mine = filter.agent !== undefined
      parts.push(
        `SELECT 'message' AS kind, CAST(rowid AS TEXT) AS id, NULL AS session_id, rank, rowid AS row, 'messages_fts' AS source FROM messages_fts WHERE messages_fts MATCH $match${mine ? " AND (sender = $agent OR recipient = $agent)" : ""}`,
      )
      parts.push(
        `SELECT 'question' AS kind, question_id AS id, NULL AS session_id, rank, rowid AS row, 'questions_fts' AS source FROM questions_fts WHERE questions_fts MATCH $match${mine ? " AND question_id IN (SELECT id FROM questions WHERE asker = $agent OR target = $agent)" : ""}`,
      )
    }
    // Each index gives its own best `limit + offset` (in the page's order: ties broken by id, as the page breaks
    // them), ranked but not yet snippeted; then only the page's hits get their snippet. A common word's
    // hundreds of thousands of matches are ranked once and never all snippeted.
    args.k = limit + offset
    const best = parts.map((part) => `SELECT * FROM (${part} ORDER BY rank, id LIMIT $k)`)
    const sql = `SELECT kind, id, session_id, rank, row, source FROM (${best.join(" UNION ALL ")}) ORDER BY rank, kind, id LIMIT $limit OFFSET $offset`
    try {
      const page = this.#db.query<Omit<Hit, "snippet"> & { row: number; source: FtsTable }, Record<string, string | number>>(sql).all(args)
      return page.map(({ row, source, ...hit }) => ({ ...hit, snippet: this.#snippet(source, match, row) }))
    } catch (err) {
      // toMatch quotes every word, so this is a query FTS5 still cannot take: the caller's to fix, not a 500.
      if (sqliteCode(err) === "SQLITE_ERROR" && /fts5|unterminated|syntax/i.test((err as Error).message))
        throw badRequest(`query field "q": ${(err as Error).message}`)
      throw err
    }
  }
}

type FtsTable = "events_fts" | "transcripts_fts" | "sessions_fts" | "messages_fts" | "questions_fts"

export const create = (db: Database) => new Search(db)

export type Store = Search
