import type { Migration } from "../src/db/migrate"

// Claude Code's permission prompts become approvals (issue 18): an approval may belong to a session (its
// agent is then the session's name, not a broker agent), has a deadline after which nobody can answer it
// here, and may be `withdrawn`: the request went away unanswered (its deadline passed, it was answered at
// Claude Code's own prompt, hive stopped). A session is `unattended_since` once Claude Code reports it idle
// at its prompt, or a reply was typed into it from elsewhere: the `remote` permission policy asks then.
// SQLite cannot change a CHECK in place, so approvals is rebuilt (nothing references it).
const columns = "id, agent, kind, ref, note, status, requested_at, resolved_at, resolution_note"

function rebuild(db: Parameters<Migration["up"]>[0]["db"], statuses: string[], extra: string, copy: string) {
  db.run(`CREATE TABLE approvals_next (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT,
    note TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (${statuses.map((s) => `'${s}'`).join(", ")})),
    requested_at INTEGER NOT NULL,
    resolved_at INTEGER,
    resolution_note TEXT${extra}
  ) STRICT`)
  db.run(`INSERT INTO approvals_next SELECT ${copy} FROM approvals`)
  db.run("DROP TABLE approvals")
  db.run("ALTER TABLE approvals_next RENAME TO approvals")
  db.run("CREATE INDEX approvals_by_status ON approvals (status, id)")
  db.run("CREATE INDEX approvals_by_agent ON approvals (agent, id)")
}

export default {
  name: "permission_approvals",
  up({ db }) {
    rebuild(db, ["pending", "approved", "denied", "failed", "withdrawn"], ",\n    session_id TEXT,\n    deadline_at INTEGER", `${columns}, NULL, NULL`)
    db.run("CREATE INDEX approvals_by_session ON approvals (session_id, id) WHERE session_id IS NOT NULL")
    db.run("ALTER TABLE sessions ADD COLUMN unattended_since INTEGER")
  },
  down({ db }) {
    db.run("ALTER TABLE sessions DROP COLUMN unattended_since")
    db.run("DROP INDEX approvals_by_session")
    rebuild(db, ["pending", "approved", "denied", "failed"], "", columns.replace("status", "CASE status WHEN 'withdrawn' THEN 'failed' ELSE status END"))
  },
} satisfies Migration
