import type { Migration } from "../src/db/migrate"

// One row per agent turn (seed 002's per-turn analytics sink): identity, timing, token cost, tool use and
// the post-turn snapshot counts. Kept 90 days by default (the prune job is issue 7's).
export default {
  name: "turn_stats",
  up({ db }) {
    db.run(`CREATE TABLE turn_stats (
      id INTEGER PRIMARY KEY,
      agent TEXT NOT NULL,
      model TEXT,
      wake_from TEXT,
      result_kind TEXT,
      started_at INTEGER NOT NULL,
      ended_at INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
      input_tokens INTEGER NOT NULL DEFAULT 0,
      output_tokens INTEGER NOT NULL DEFAULT 0,
      cache_read_tokens INTEGER NOT NULL DEFAULT 0,
      cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
      tool_call_count INTEGER NOT NULL DEFAULT 0,
      tool_call_breakdown TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tool_call_breakdown) AND json_type(tool_call_breakdown) = 'object'),
      open_threads_count INTEGER,
      open_reminders_count INTEGER
    ) STRICT`)
    db.run("CREATE INDEX turn_stats_by_agent ON turn_stats (agent, started_at)")
    db.run("CREATE INDEX turn_stats_by_time ON turn_stats (started_at)")
  },
  // No down: it would drop the history.
} satisfies Migration
