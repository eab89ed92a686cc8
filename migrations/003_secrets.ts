import type { Migration } from "../src/db/migrate"

// Secrets at rest (seed 004): every value is an AES-256-GCM envelope (src/secrets/cipher.ts) whose
// key_id names the master key generation that sealed it, so rotation can find what is left to re-seal
// and a wrong key is detected before anything is decrypted.
export default {
  name: "secrets",
  up({ db }) {
    db.run(`CREATE TABLE secrets (
      name TEXT PRIMARY KEY,
      envelope BLOB NOT NULL,
      key_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT`)
    db.run("CREATE INDEX secrets_by_key ON secrets (key_id)")

    db.run(`CREATE TABLE operator_oauth_tokens (
      forge TEXT PRIMARY KEY,
      access_token BLOB NOT NULL,
      refresh_token BLOB,
      key_id TEXT NOT NULL,
      expires_at INTEGER,
      scope TEXT,
      account TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT`)
    db.run("CREATE INDEX oauth_by_key ON operator_oauth_tokens (key_id)")

    // The Claude SDK resume map: key is <forge>:<agent>:<repo>:<issue>. Not secret, so not encrypted.
    db.run(`CREATE TABLE claude_sdk_sessions (
      key TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      last_used_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT`)
    db.run("CREATE INDEX sdk_sessions_by_use ON claude_sdk_sessions (last_used_at)")

    // Who revealed, materialized, rotated or deleted what, and when. Never a value. Kept forever.
    db.run(`CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      action TEXT NOT NULL,
      subject TEXT NOT NULL,
      actor TEXT NOT NULL,
      detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
    ) STRICT`)
    db.run("CREATE INDEX audit_by_subject ON audit_log (subject, id)")

    // Encryptions per key generation: random 96-bit nonces are safe for about 2^32 encryptions per key.
    db.run(`CREATE TABLE key_usage (
      key_id TEXT PRIMARY KEY,
      generation INTEGER NOT NULL,
      encryptions INTEGER NOT NULL DEFAULT 0,
      first_used_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL
    ) STRICT`)

    // Which key generation signed a token (its JWT kid), so rotation keeps that generation while the token lives.
    db.run("ALTER TABLE api_tokens ADD COLUMN key_id TEXT")
  },
  // No down: it could only drop every secret.
} satisfies Migration
