import type { Migration } from "../src/db/migrate"

// Agents and the inter-agent broker (seed 002) and the durable command inbox (seed 003).
// "operator" is the human; every other party is an agent row. Approvals are kept forever (audit trail).
export default {
  name: "broker",
  up({ db }) {
    db.run(`CREATE TABLE agents (
      name TEXT PRIMARY KEY,
      model TEXT NOT NULL DEFAULT 'haiku',
      status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'destroyed')),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      destroyed_at INTEGER
    ) STRICT`)

    // INTEGER PRIMARY KEY: append-only, so the id is the cursor.
    db.run(`CREATE TABLE messages (
      id INTEGER PRIMARY KEY,
      sender TEXT NOT NULL,
      recipient TEXT NOT NULL,
      body TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      delivered_at INTEGER
    ) STRICT`)
    db.run("CREATE INDEX messages_undelivered ON messages (recipient, id) WHERE delivered_at IS NULL")
    db.run("CREATE INDEX messages_by_sender ON messages (sender, id)")
    db.run("CREATE INDEX messages_by_recipient ON messages (recipient, id)")
    db.run("CREATE INDEX messages_delivered ON messages (delivered_at) WHERE delivered_at IS NOT NULL")

    db.run(`CREATE TABLE approvals (
      id TEXT PRIMARY KEY,
      agent TEXT NOT NULL,
      kind TEXT NOT NULL,
      ref TEXT,
      note TEXT,
      status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'failed')),
      requested_at INTEGER NOT NULL,
      resolved_at INTEGER,
      resolution_note TEXT
    ) STRICT`)
    db.run("CREATE INDEX approvals_by_status ON approvals (status, id)")
    db.run("CREATE INDEX approvals_by_agent ON approvals (agent, id)")

    db.run(`CREATE TABLE questions (
      id TEXT PRIMARY KEY,
      asker TEXT NOT NULL,
      target TEXT,
      question TEXT NOT NULL,
      options TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(options) AND json_type(options) = 'array'),
      multi INTEGER NOT NULL DEFAULT 0 CHECK (multi IN (0, 1)),
      status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'timed_out')),
      asked_at INTEGER NOT NULL,
      deadline_at INTEGER,
      answered_at INTEGER,
      answer TEXT CHECK (answer IS NULL OR json_valid(answer))
    ) STRICT`)
    db.run("CREATE INDEX questions_open ON questions (deadline_at) WHERE status = 'open'")
    db.run("CREATE INDEX questions_by_target ON questions (target, id)")
    db.run("CREATE INDEX questions_by_asker ON questions (asker, id)")

    db.run(`CREATE TABLE commands (
      id TEXT PRIMARY KEY,
      target TEXT NOT NULL,
      payload TEXT NOT NULL CHECK (json_valid(payload)),
      enqueued_at INTEGER NOT NULL,
      claimed_at INTEGER,
      lease_until INTEGER,
      acked_at INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0
    ) STRICT`)
    db.run("CREATE INDEX commands_queue ON commands (target, enqueued_at, id) WHERE acked_at IS NULL")
  },
  // No down: it would drop the approvals audit trail.
} satisfies Migration
