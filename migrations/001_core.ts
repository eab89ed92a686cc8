import type { Migration } from "../src/db/migrate"

// The core tables of the seed's schema (projects, sessions, worktrees, paired_devices) plus what the
// session registry needs on a session (pid, ppid, transport, state, expiry) and key -> JSON preferences.
// Times are unix milliseconds; STRICT tables so a wrong type is an error, not a silent conversion.
export default {
  name: "core",
  up({ db }) {
    db.run(`CREATE TABLE projects (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      directory TEXT NOT NULL UNIQUE,
      settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings) AND json_type(settings) = 'object'),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT`)

    db.run(`CREATE TABLE sessions (
      id TEXT PRIMARY KEY,
      project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
      agent_session_id TEXT UNIQUE,
      name TEXT NOT NULL DEFAULT '',
      action_type TEXT CHECK (action_type IN ('research', 'plan', 'implement', 'freeform')),
      status TEXT NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'running', 'awaiting_input', 'error')),
      metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
      pid INTEGER,
      ppid INTEGER,
      start_time INTEGER,
      cwd TEXT,
      label TEXT,
      notify INTEGER NOT NULL DEFAULT 0 CHECK (notify IN (0, 1)),
      transport_kind TEXT NOT NULL DEFAULT 'unknown' CHECK (transport_kind IN ('tmux', 'nvim', 'pty', 'unknown')),
      transport_details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(transport_details) AND json_type(transport_details) = 'object'),
      state TEXT NOT NULL DEFAULT 'active',
      transcript_path TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      expires_at INTEGER
    ) STRICT`)
    db.run("CREATE INDEX sessions_by_project ON sessions (project_id, id)")
    db.run("CREATE INDEX sessions_by_status ON sessions (status, id)")
    db.run("CREATE INDEX sessions_by_ppid ON sessions (ppid)")
    db.run("CREATE INDEX sessions_notifying ON sessions (id) WHERE notify = 1")
    db.run("CREATE INDEX sessions_by_expiry ON sessions (expires_at) WHERE expires_at IS NOT NULL")

    db.run(`CREATE TABLE worktrees (
      id TEXT PRIMARY KEY,
      project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      path TEXT NOT NULL UNIQUE,
      branch TEXT NOT NULL,
      description TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT`)
    db.run("CREATE INDEX worktrees_by_project ON worktrees (project_id, id)")

    db.run(`CREATE TABLE paired_devices (
      id TEXT PRIMARY KEY,
      name TEXT,
      platform TEXT CHECK (platform IN ('ios', 'android', 'web', 'other')),
      user_agent TEXT,
      paired_at INTEGER NOT NULL,
      last_seen_at INTEGER,
      revoked_at INTEGER
    ) STRICT`)

    db.run(`CREATE TABLE preferences (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL CHECK (json_valid(value)),
      updated_at INTEGER NOT NULL
    ) STRICT`)
  },
  // No down: it could only drop every project and session, which is what a backup restore is for.
} satisfies Migration
