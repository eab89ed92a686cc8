import type { Migration } from "../src/db/migrate"

// More of what a user filters Claude Code's hook events on (issue 18): the tool call a PreToolUse and its
// PostToolUse share (`tool_use_id`: find a call's other half), and why a Notification came
// (`notification_type`: permission_prompt, idle_prompt, ...). Only hook events carry them: partial index.
export default {
  name: "event_call_columns",
  up({ db }) {
    db.run("ALTER TABLE events ADD COLUMN tool_use_id TEXT")
    db.run("ALTER TABLE events ADD COLUMN notification_type TEXT")
    db.run("CREATE INDEX events_by_tool_use ON events (tool_use_id) WHERE tool_use_id IS NOT NULL")
  },
  down({ db }) {
    db.run("DROP INDEX events_by_tool_use")
    db.run("ALTER TABLE events DROP COLUMN notification_type")
    db.run("ALTER TABLE events DROP COLUMN tool_use_id")
  },
} satisfies Migration
