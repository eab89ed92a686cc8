import type { Migration } from "../src/db/migrate"

// A hook for a session hive has not seen looks for the active session its process (or, for an http hook, its
// folder's last resume) already has, to tell a fork (issue 18). Without these every such hook scanned the
// whole registry, and an imported one holds tens of thousands of sessions. Both only over active sessions.
export default {
  name: "session_process_index",
  up({ db }) {
    db.run("CREATE INDEX sessions_active_by_process ON sessions (pid, start_time) WHERE state = 'active'")
    db.run("CREATE INDEX sessions_resumed_by_cwd ON sessions (cwd, updated_at) WHERE state = 'active' AND start_source = 'resume'")
  },
  down({ db }) {
    db.run("DROP INDEX sessions_resumed_by_cwd")
    db.run("DROP INDEX sessions_active_by_process")
  },
} satisfies Migration
