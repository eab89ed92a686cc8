import type { Migration } from "../src/db/migrate"

// Artifacts (seed 001): files on disk under $HIVE_HOME/artifacts/<session>/<type>/<sha256>[.gz], one row per
// upload. Rows with the same content in the same folder share one file; the file goes when the last row does
// (the store deletes it after the commit; the prune-artifacts job sweeps any a crash or a session delete left).
export default {
  name: "artifacts",
  up({ db }) {
    db.run(`CREATE TABLE artifacts (
      id TEXT PRIMARY KEY,
      session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
      type TEXT NOT NULL,
      name TEXT,
      content_type TEXT NOT NULL,
      size INTEGER NOT NULL CHECK (size >= 0),
      stored_size INTEGER NOT NULL CHECK (stored_size >= 0),
      encoding TEXT NOT NULL CHECK (encoding IN ('identity', 'gzip')),
      sha256 TEXT NOT NULL,
      path TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT`)
    db.run("CREATE INDEX artifacts_by_session ON artifacts (session_id, id)")
    db.run("CREATE INDEX artifacts_by_path ON artifacts (path)")
  },
  // No down: dropping the rows would leave their files unaccounted for.
} satisfies Migration
