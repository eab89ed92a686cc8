import type { Migration } from "../src/db/migrate"

// Nothing replayable crosses the relay (issue 19): TLS ends at the tunnel server, so whoever runs it sees a
// phone's device cookie. At pairing the phone page now makes a non-extractable P-256 key pair and registers
// the public key (`signing_key`, the raw point in base64url); every change it asks for is signed, and each
// signature's nonce is kept for the time window it is valid in, so none is accepted twice. Devices paired
// before this have no key: they may still read, and are told to pair again to change anything.
export default {
  name: "device_signing_keys",
  up({ db }) {
    db.run("ALTER TABLE paired_devices ADD COLUMN signing_key TEXT CHECK (signing_key IS NULL OR length(signing_key) BETWEEN 80 AND 100)")
    db.run(`CREATE TABLE device_nonces (
      device_id TEXT NOT NULL REFERENCES paired_devices (id) ON DELETE CASCADE,
      nonce TEXT NOT NULL CHECK (length(nonce) BETWEEN 16 AND 64),
      seen_at INTEGER NOT NULL,
      PRIMARY KEY (device_id, nonce)
    ) STRICT, WITHOUT ROWID`)
    db.run("CREATE INDEX device_nonces_by_age ON device_nonces (seen_at)")
  },
  down({ db }) {
    db.run("DROP TABLE device_nonces")
    db.run("ALTER TABLE paired_devices DROP COLUMN signing_key")
  },
} satisfies Migration
