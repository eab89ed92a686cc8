import type { Migration } from "../src/db/migrate"

// Batch ingest (issue 5): the CHECK (json_valid(payload)) on events made SQLite parse every payload that hive
// had just produced with JSON.stringify, which cannot yield anything else: measured, ~15% of inserting a
// batch. Every other way in checks instead (hive import refuses an events record whose payload is not JSON).
// SQLite cannot drop a CHECK in place, so the table is rebuilt with every row and id; a week of heavy use
// (millions of events) takes seconds, once.
export default {
  name: "event_payload_check",
  up({ db }) {
    const sql = db.query<{ sql: string }, []>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").get()!.sql
    if (!/json_valid/i.test(sql)) return
    // AUTOINCREMENT's high-water mark: ids are cursors and must never come back, even those of pruned rows.
    const seq = db.query<{ seq: number }, []>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get()?.seq ?? 0
    db.run(`CREATE TABLE events_rebuilt (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ts INTEGER NOT NULL,
      agent TEXT,
      session_id TEXT,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL DEFAULT '{}'
    ) STRICT`)
    db.run("INSERT INTO events_rebuilt (id, ts, agent, session_id, kind, payload) SELECT id, ts, agent, session_id, kind, payload FROM events")
    // The old table's indexes and its search trigger go with it.
    db.run("DROP TABLE events")
    db.run("ALTER TABLE events_rebuilt RENAME TO events")
    db.run("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'events'", [seq])
    db.run("INSERT INTO sqlite_sequence (name, seq) SELECT 'events', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events')", [seq])
    db.run("CREATE INDEX events_by_agent ON events (agent, id)")
    db.run("CREATE INDEX events_by_session ON events (session_id, id)")
    db.run("CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN DELETE FROM events_fts WHERE rowid = old.id; END")
  },
  // No down: the constraint guarded nothing hive can write, and putting it back would rebuild the table again.
} satisfies Migration
