import type { Migration } from "../src/db/migrate"

// What Claude Code's hooks say of a session that a user filters on (issue 18), as columns instead of buried
// in event payloads: how it last started (startup, resume, clear, compact), why it ended, its permission mode
// and model, and, for a fork (`claude --resume X --fork-session`), the session it was forked from.
export default {
  name: "session_lineage",
  up({ db }) {
    db.run("ALTER TABLE sessions ADD COLUMN parent_session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL")
    db.run("ALTER TABLE sessions ADD COLUMN start_source TEXT")
    db.run("ALTER TABLE sessions ADD COLUMN end_reason TEXT")
    db.run("ALTER TABLE sessions ADD COLUMN permission_mode TEXT")
    db.run("ALTER TABLE sessions ADD COLUMN model TEXT")
    db.run("CREATE INDEX sessions_by_parent ON sessions (parent_session_id) WHERE parent_session_id IS NOT NULL")
  },
  down({ db }) {
    db.run("DROP INDEX sessions_by_parent")
    for (const c of ["model", "permission_mode", "end_reason", "start_source", "parent_session_id"]) db.run(`ALTER TABLE sessions DROP COLUMN ${c}`)
  },
} satisfies Migration
