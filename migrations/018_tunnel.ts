import type { Migration } from "../src/db/migrate"

// The tunnel's last known status (issue 8), written by the `hive serve` that runs it, so `hive tunnel status`
// and `hive pair` (other processes) can tell whether it is up and where. One row; pid says whose it is, so a
// row left by a killed server is recognised as stale. Never the password: that is derived from a sealed secret.
export default {
  name: "tunnel",
  up({ db }) {
    db.run(`CREATE TABLE tunnel_status (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      pid INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('connecting', 'up', 'down')),
      reason TEXT,
      since INTEGER NOT NULL,
      public_url TEXT,
      subdomain_source TEXT CHECK (subdomain_source IN ('install', 'preference', 'random')),
      reconnects INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    ) STRICT`)
  },
  // No down: one row of runtime status; nothing is gained by rolling the schema back for it.
} satisfies Migration
