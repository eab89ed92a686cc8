import type { Migration } from "../src/db/migrate"

// Web Push (issue 19): a paired phone's push subscription, as its browser made it. The endpoint is a capability
// URL of the browser's push service and the keys encrypt what hive sends there, so neither is ever listed or
// logged. One device may have several (a phone with two browsers); revoking the device deletes them (db/pairing.ts, through db/push.ts). A
// subscription the push service calls gone (404, 410) is deleted when hive next sends to it.
export default {
  name: "push_subscriptions",
  up({ db }) {
    db.run(`CREATE TABLE push_subscriptions (
      endpoint TEXT PRIMARY KEY CHECK (length(endpoint) BETWEEN 1 AND 2048),
      device_id TEXT NOT NULL REFERENCES paired_devices (id) ON DELETE CASCADE,
      p256dh TEXT NOT NULL CHECK (length(p256dh) BETWEEN 1 AND 200),
      auth TEXT NOT NULL CHECK (length(auth) BETWEEN 1 AND 100),
      created_at INTEGER NOT NULL,
      last_sent_at INTEGER,
      failures INTEGER NOT NULL DEFAULT 0
    ) STRICT, WITHOUT ROWID`)
    db.run("CREATE INDEX push_subscriptions_by_device ON push_subscriptions (device_id)")
  },
  down({ db }) {
    db.run("DROP TABLE push_subscriptions")
  },
} satisfies Migration
