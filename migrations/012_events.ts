import type { Migration } from "../src/db/migrate"

// Live events (seed 002): every event an agent's harness emits. INTEGER PRIMARY KEY, so the id is the
// SSE cursor (Last-Event-ID). Retention is by age only (7 days by default; the prune job is issue 7's).
export default {
  name: "events",
  up({ db }) {
    db.run(`CREATE TABLE events (
      id INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      agent TEXT,
      session_id TEXT,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload))
    ) STRICT`)
    db.run("CREATE INDEX events_by_agent ON events (agent, id) WHERE agent IS NOT NULL")
    db.run("CREATE INDEX events_by_session ON events (session_id, id) WHERE session_id IS NOT NULL")
    db.run("CREATE INDEX events_by_kind ON events (kind, id)")
    db.run("CREATE INDEX events_by_ts ON events (ts)")
  },
  // No down: it would drop the event history.
} satisfies Migration
