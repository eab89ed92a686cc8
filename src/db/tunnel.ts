import type { Database } from "bun:sqlite"

// The tunnel's status is this table's data: the serving process writes it, every command reads it.
export type TunnelState = "connecting" | "up" | "down"
/** Where the subdomain came from: derived from the install secret, the tunnel.subdomain preference, or random after a 409. */
export type SubdomainSource = "install" | "preference" | "random"

export type TunnelStatus = {
  status: TunnelState
  /** Why it is not up (or what it is waiting for); null when up. Never holds the password. */
  reason: string | null
  /** When the tunnel entered this status. */
  since: number
  /** The public address without credentials, once the tunnel server has given one. */
  public_url: string | null
  subdomain_source: SubdomainSource | null
  /** How many times the tunnel was re-created since the server started. */
  reconnects: number
}

export type TunnelRow = TunnelStatus & { pid: number; updated_at: number }

/** The tunnel's last status, as the serving process last wrote it (one row). */
const COLS = "pid, status, reason, since, public_url, subdomain_source, reconnects, updated_at"

function statements(db: Database) {
  return {
    save: db.query(
      `INSERT INTO tunnel_status (id, ${COLS}) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, status = excluded.status, reason = excluded.reason, since = excluded.since,
         public_url = excluded.public_url, subdomain_source = excluded.subdomain_source, reconnects = excluded.reconnects, updated_at = excluded.updated_at`,
    ),
    get: db.query<TunnelRow, []>(`SELECT ${COLS} FROM tunnel_status WHERE id = 1`),
    clear: db.query("DELETE FROM tunnel_status WHERE pid = ?"),
  }
}

/** The running server's tunnel status, where `hive tunnel status` (another process) can read it. */
export class TunnelRows {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  save(pid: number, s: TunnelStatus, now = Date.now()) {
    this.#q.save.run(pid, s.status, s.reason, s.since, s.public_url, s.subdomain_source, s.reconnects, now)
  }

  get(): TunnelRow | null {
    return this.#q.get.get()
  }

  /** Forgets the status a process wrote (when it stops), leaving another's alone. */
  clear(pid: number) {
    this.#q.clear.run(pid)
  }
}

export const create = (db: Database) => new TunnelRows(db)

export type Store = TunnelRows
