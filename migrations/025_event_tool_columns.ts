import type { Migration } from "../src/db/migrate"

// What a user filters a session's hook events on (issue 18): the tool a PreToolUse/PostToolUse is about, and
// the subagent (Agent tool) a hook came from. Only hook events carry them, so the index is partial: batch
// ingest of other events pays nothing for it.
export default {
  name: "event_tool_columns",
  up({ db }) {
    db.run("ALTER TABLE events ADD COLUMN tool_name TEXT")
    db.run("ALTER TABLE events ADD COLUMN subagent_id TEXT")
    db.run("CREATE INDEX events_by_tool ON events (tool_name, id) WHERE tool_name IS NOT NULL")
  },
  down({ db }) {
    db.run("DROP INDEX events_by_tool")
    db.run("ALTER TABLE events DROP COLUMN subagent_id")
    db.run("ALTER TABLE events DROP COLUMN tool_name")
  },
} satisfies Migration
