import type { Migration } from "../src/db/migrate"

// The admin JWTs `hive token create` issues. The JWT's jti is the row id, so a revoked token is refused
// on its very next request; the token itself is never stored (it is a credential, and can be re-derived
// by no one without the signing key).
export default {
  name: "api_tokens",
  up({ db }) {
    db.run(`CREATE TABLE api_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    ) STRICT`)
  },
  // Honest: dropping the table revokes every token, which is what undoing this migration means.
  down({ db }) {
    db.run("DROP TABLE api_tokens")
  },
} satisfies Migration
