import type { Migration } from "../src/db/migrate"

// Pairing a phone (seed 000, issue 8): a short window holding only keyed hashes of its one-time secret and
// 6-digit code, with an attempt counter the database increments atomically (parallel guesses all count).
// paired_devices (001) holds the devices; a device's JWT carries its id, so revoking the row refuses it.
export default {
  name: "pairing",
  up({ db }) {
    db.run(`CREATE TABLE pairing_windows (
      id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      code_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      used_at INTEGER,
      device_id TEXT,
      closed_at INTEGER
    ) STRICT`)
    db.run("CREATE INDEX pairing_windows_open ON pairing_windows (created_at) WHERE used_at IS NULL AND closed_at IS NULL")
  },
  // No down: pairing windows live two minutes; nothing is gained by rolling the schema back for them.
} satisfies Migration
