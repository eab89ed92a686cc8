import type { Migration } from "../src/db/migrate"

// Full-text search (seed 001's cross-cell search) over event payloads, messages, questions and sessions.
// One FTS5 table per source, keyed by the source's rowid, so a delete is a rowid delete. Messages,
// questions and sessions are kept in step by triggers. Events, the hottest write path, are indexed in
// batches up to a cursor (search_state) before every search.

export default {
  name: "search",
  up({ db }) {
    db.run("CREATE TABLE search_state (name TEXT PRIMARY KEY, cursor INTEGER NOT NULL) STRICT")
    db.run("INSERT INTO search_state (name, cursor) VALUES ('events', 0)")

    db.run("CREATE VIRTUAL TABLE events_fts USING fts5(body, session_id UNINDEXED, tokenize = 'unicode61')")
    // No insert trigger (it cost a fifth of batch ingest); ids are never reused (AUTOINCREMENT, 014), so the
    // cursor only moves forward, except when hive import writes events below it (it rewinds the cursor).
    db.run("CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN DELETE FROM events_fts WHERE rowid = old.id; END")

    db.run("CREATE VIRTUAL TABLE messages_fts USING fts5(body, sender UNINDEXED, recipient UNINDEXED)")
    db.run(
      "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN INSERT INTO messages_fts (rowid, body, sender, recipient) VALUES (new.id, new.body, new.sender, new.recipient); END",
    )
    db.run("CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN UPDATE messages_fts SET body = new.body WHERE rowid = new.id; END")
    db.run("CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN DELETE FROM messages_fts WHERE rowid = old.id; END")
    db.run("INSERT INTO messages_fts (rowid, body, sender, recipient) SELECT id, body, sender, recipient FROM messages")

    const questionText = (q: string) =>
      `${q}.question || ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(${q}.options)) || ' ' || coalesce(${q}.answer, '')`
    db.run("CREATE VIRTUAL TABLE questions_fts USING fts5(body, question_id UNINDEXED)")
    db.run(
      `CREATE TRIGGER questions_fts_insert AFTER INSERT ON questions BEGIN INSERT INTO questions_fts (rowid, body, question_id) VALUES (new.rowid, ${questionText("new")}, new.id); END`,
    )
    db.run(
      `CREATE TRIGGER questions_fts_update AFTER UPDATE ON questions BEGIN UPDATE questions_fts SET body = ${questionText("new")} WHERE rowid = new.rowid; END`,
    )
    db.run("CREATE TRIGGER questions_fts_delete AFTER DELETE ON questions BEGIN DELETE FROM questions_fts WHERE rowid = old.rowid; END")
    db.run(`INSERT INTO questions_fts (rowid, body, question_id) SELECT q.rowid, ${questionText("q")}, q.id FROM questions q`)

    const sessionText = (s: string) => `coalesce(${s}.label, '') || ' ' || ${s}.name || ' ' || coalesce(${s}.cwd, '')`
    db.run("CREATE VIRTUAL TABLE sessions_fts USING fts5(body, session_id UNINDEXED, project_id UNINDEXED)")
    db.run(
      `CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN INSERT INTO sessions_fts (rowid, body, session_id, project_id) VALUES (new.rowid, ${sessionText("new")}, new.id, new.project_id); END`,
    )
    db.run(`CREATE TRIGGER sessions_fts_update AFTER UPDATE OF label, name, cwd, project_id ON sessions
      BEGIN UPDATE sessions_fts SET body = ${sessionText("new")}, project_id = new.project_id WHERE rowid = new.rowid; END`)
    db.run("CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN DELETE FROM sessions_fts WHERE rowid = old.rowid; END")
    db.run(`INSERT INTO sessions_fts (rowid, body, session_id, project_id) SELECT s.rowid, ${sessionText("s")}, s.id, s.project_id FROM sessions s`)

    // Transcript text, only for the sessions the user asks for (POST /api/sessions/:id/transcript/index).
    // A transcript is append-only, so indexing resumes from the byte offset it reached.
    db.run("CREATE VIRTUAL TABLE transcripts_fts USING fts5(body, session_id UNINDEXED, offset UNINDEXED)")
    db.run(`CREATE TABLE transcript_index (
      session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
      indexed_to INTEGER NOT NULL,
      entries INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT`)
    db.run("CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcript_index BEGIN DELETE FROM transcripts_fts WHERE session_id = old.session_id; END")
  },
  // No down: the index is derived data, but dropping it is no reason to roll the schema back.
} satisfies Migration
