import type { Migration } from "../src/db/migrate"

// A paired device's token is a JWT signed by the master key generation current when it paired. Key rotation
// retires generations nothing references (secrets, OAuth tokens, live API tokens); without this, a rotation
// would retire the generation every phone's token was signed with and all of them would have to pair again.
// Devices paired before this migration have no pin (their generation is the one that existed then).
export default {
  name: "device_key_pins",
  up({ db }) {
    db.run("ALTER TABLE paired_devices ADD COLUMN key_id TEXT")
    db.run("ALTER TABLE paired_devices ADD COLUMN token_expires_at INTEGER")
  },
  // No down: two nullable columns; older code ignores them.
} satisfies Migration
