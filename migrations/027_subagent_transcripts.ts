import type { Migration } from "../src/db/migrate"

// A session's subagents (Claude Code's Agent tool) keep transcripts of their own beside the session's
// (<session>/subagents/agent-<id>.jsonl); indexing a session indexes those too (issue 18). The index and its
// progress gain the subagent (`agent_id`, '' for the session's own transcript). Derived data, copied over.
type Db = Parameters<Migration["up"]>[0]["db"]

function rebuild(db: Db, withAgent: boolean) {
  db.run("DROP TRIGGER transcripts_fts_delete")
  db.run(`CREATE VIRTUAL TABLE transcripts_fts_next USING fts5(body, session_id UNINDEXED, ${withAgent ? "agent_id UNINDEXED, " : ""}offset UNINDEXED)`)
  db.run(
    withAgent
      ? "INSERT INTO transcripts_fts_next (body, session_id, agent_id, offset) SELECT body, session_id, '', offset FROM transcripts_fts"
      : "INSERT INTO transcripts_fts_next (body, session_id, offset) SELECT body, session_id, offset FROM transcripts_fts WHERE agent_id = ''",
  )
  db.run(`CREATE TABLE transcript_index_next (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,${withAgent ? "\n    agent_id TEXT NOT NULL DEFAULT ''," : ""}
    indexed_to INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (session_id${withAgent ? ", agent_id" : ""})
  ) STRICT`)
  db.run(
    withAgent
      ? "INSERT INTO transcript_index_next (session_id, agent_id, indexed_to, entries, updated_at) SELECT session_id, '', indexed_to, entries, updated_at FROM transcript_index"
      : "INSERT INTO transcript_index_next (session_id, indexed_to, entries, updated_at) SELECT session_id, indexed_to, entries, updated_at FROM transcript_index WHERE agent_id = ''",
  )
  db.run("DROP TABLE transcripts_fts")
  db.run("DROP TABLE transcript_index")
  db.run("ALTER TABLE transcripts_fts_next RENAME TO transcripts_fts")
  db.run("ALTER TABLE transcript_index_next RENAME TO transcript_index")
  db.run(
    `CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcript_index BEGIN DELETE FROM transcripts_fts WHERE session_id = old.session_id${withAgent ? " AND agent_id = old.agent_id" : ""}; END`,
  )
}

export default {
  name: "subagent_transcripts",
  up({ db }) {
    rebuild(db, true)
  },
  down({ db }) {
    rebuild(db, false)
  },
} satisfies Migration
