import type { Database } from "bun:sqlite"

export type TurnInput = {
  agent: string
  model?: string | null
  wake_from?: string | null
  result_kind?: string | null
  started_at: number
  ended_at: number
  duration_ms?: number
  input_tokens?: number
  output_tokens?: number
  cache_read_tokens?: number
  cache_creation_tokens?: number
  tool_call_count?: number
  tool_call_breakdown?: Record<string, number>
  open_threads_count?: number | null
  open_reminders_count?: number | null
}
export type GroupBy = "agent" | "model" | "day"
export type Summary = {
  key: string
  turns: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
  total_duration_ms: number
  p95_duration_ms: number
  top_tools: { tool: string; calls: number }[]
}

// The grouping expressions are hive's own, chosen by name: nothing from a request reaches the SQL text.
const KEY: Record<GroupBy, string> = {
  agent: "agent",
  model: "coalesce(model, '')",
  // SQLite's dates end with the year 9999; a time the API accepts past it (up to JavaScript's year 275760) is
  // grouped as that, not as a null day.
  day: "coalesce(strftime('%Y-%m-%d', started_at / 1000, 'unixepoch'), 'after 9999-12-31')",
}
const RANGE = "started_at >= ?1 AND started_at < ?2 AND (?3 IS NULL OR agent = ?3)"
type Range = [number, number, string | null]

function statements(db: Database) {
  return {
    insert: db.query<{ id: number }, (string | number | null)[]>(
      `INSERT INTO turn_stats (agent, model, wake_from, result_kind, started_at, ended_at, duration_ms, input_tokens, output_tokens,
       cache_read_tokens, cache_creation_tokens, tool_call_count, tool_call_breakdown, open_threads_count, open_reminders_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    byGroup: Object.fromEntries(
      (Object.keys(KEY) as GroupBy[]).map((by) => [
        by,
        {
          totals: db.query<Omit<Summary, "p95_duration_ms" | "top_tools">, Range>(
            `SELECT ${KEY[by]} AS key, count(*) AS turns, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
             sum(cache_read_tokens) AS cache_read_tokens, sum(cache_creation_tokens) AS cache_creation_tokens, sum(duration_ms) AS total_duration_ms
           FROM turn_stats WHERE ${RANGE} GROUP BY 1 ORDER BY 1`,
          ),
          // Nearest-rank p95: the ceil(0.95 n)-th shortest turn of each group.
          p95: db.query<{ key: string; p95: number }, Range>(
            `WITH ranked AS (
             SELECT ${KEY[by]} AS key, duration_ms, row_number() OVER (PARTITION BY ${KEY[by]} ORDER BY duration_ms) AS rn, count(*) OVER (PARTITION BY ${KEY[by]}) AS n
             FROM turn_stats WHERE ${RANGE})
           SELECT key, duration_ms AS p95 FROM ranked WHERE rn = (95 * n + 99) / 100`,
          ),
          tools: db.query<{ key: string; tool: string; calls: number }, Range>(
            `SELECT ${KEY[by]} AS key, j.key AS tool, sum(j.value) AS calls FROM turn_stats, json_each(tool_call_breakdown) AS j
           WHERE ${RANGE} GROUP BY 1, 2 ORDER BY 1, calls DESC, tool`,
          ),
        },
      ]),
    ) as Record<GroupBy, { totals: ReturnType<typeof db.query>; p95: ReturnType<typeof db.query>; tools: ReturnType<typeof db.query> }>,
    prune: db.query("DELETE FROM turn_stats WHERE id IN (SELECT id FROM turn_stats WHERE started_at < ? LIMIT ?)"),
  }
}

/** Per-turn usage of agents, and its summaries by agent, model or day. */
export class TurnStats {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  /** Deletes up to `limit` turns started before `before` (the retention job calls it in chunks). */
  prune(before: number, limit: number): number {
    return this.#q.prune.run(before, limit).changes
  }

  record(t: TurnInput): number {
    return this.#q.insert.get(
      t.agent,
      t.model ?? null,
      t.wake_from ?? null,
      t.result_kind ?? null,
      t.started_at,
      t.ended_at,
      t.duration_ms ?? t.ended_at - t.started_at,
      t.input_tokens ?? 0,
      t.output_tokens ?? 0,
      t.cache_read_tokens ?? 0,
      t.cache_creation_tokens ?? 0,
      t.tool_call_count ?? Object.values(t.tool_call_breakdown ?? {}).reduce((a, b) => a + b, 0),
      JSON.stringify(t.tool_call_breakdown ?? {}),
      t.open_threads_count ?? null,
      t.open_reminders_count ?? null,
    )!.id
  }

  /** Tokens, turns, total and p95 duration and the top tools, per agent, model or UTC day, over [since, until). */
  summarize(by: GroupBy, range: { since?: number; until?: number; agent?: string }, topTools = 5): Summary[] {
    const args: Range = [range.since ?? 0, range.until ?? Number.MAX_SAFE_INTEGER, range.agent ?? null]
    const q = this.#q.byGroup[by]
    const p95 = new Map((q.p95.all(...args) as { key: string; p95: number }[]).map((r) => [r.key, r.p95]))
    const tools = new Map<string, { tool: string; calls: number }[]>()
    for (const r of q.tools.all(...args) as { key: string; tool: string; calls: number }[]) {
      const list = tools.get(r.key) ?? []
      if (list.length < topTools) list.push({ tool: r.tool, calls: r.calls })
      tools.set(r.key, list)
    }
    return (q.totals.all(...args) as Omit<Summary, "p95_duration_ms" | "top_tools">[]).map((row) => ({
      ...row,
      p95_duration_ms: p95.get(row.key) ?? 0,
      top_tools: tools.get(row.key) ?? [],
    }))
  }
}

export const create = (db: Database) => new TurnStats(db)

export type Store = TurnStats
