import type { Database } from "bun:sqlite"
import { notFound } from "../errors"
import { keysetPage, type Page, type PageOptions } from "./entity"
import { immediate } from "./tx"
import type { PushSubscriptions } from "./push"

export type Device = {
  id: string
  name: string | null
  platform: string | null
  user_agent: string | null
  paired_at: number
  last_seen_at: number | null
  revoked_at: number | null
}
export type Window = { id: string; secret_hash: string; code_hash: string; attempts: number; expires_at: number }
export const PLATFORMS = ["ios", "android", "web", "other"] as const

/** Wrong guesses a pairing window takes before it closes. */
export const MAX_ATTEMPTS = 5
/** last_seen_at is written at most this often per device (not on every request). */
const SEEN_EVERY_MS = 60_000

const DEVICE_COLS = "id, name, platform, user_agent, paired_at, last_seen_at, revoked_at"

function statements(db: Database) {
  return {
    closeOpen: db.query("UPDATE pairing_windows SET closed_at = ?1 WHERE used_at IS NULL AND closed_at IS NULL"),
    insert: db.query("INSERT INTO pairing_windows (id, secret_hash, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
    // One statement: the count goes up whatever happens next, so parallel guesses can never outrun it.
    count: db.query<Window, [number]>(
      `UPDATE pairing_windows SET attempts = attempts + 1
       WHERE id = (SELECT id FROM pairing_windows WHERE used_at IS NULL AND closed_at IS NULL AND expires_at > ?1 ORDER BY created_at DESC LIMIT 1)
       RETURNING id, secret_hash, code_hash, attempts, expires_at`,
    ),
    close: db.query("UPDATE pairing_windows SET closed_at = ? WHERE id = ? AND closed_at IS NULL"),
    use: db.query("UPDATE pairing_windows SET used_at = ?, device_id = ? WHERE id = ? AND used_at IS NULL AND closed_at IS NULL"),
    pruneWindows: db.query("DELETE FROM pairing_windows WHERE id IN (SELECT id FROM pairing_windows WHERE expires_at <= ? LIMIT ?)"),
    addDevice: db.query<Device, [string, string | null, string | null, string | null, number, string, number, string]>(
      `INSERT INTO paired_devices (id, name, platform, user_agent, paired_at, last_seen_at, key_id, token_expires_at, signing_key)
       VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8) RETURNING ${DEVICE_COLS}`,
    ),
    signingKey: db.query<{ signing_key: string | null }, [string]>("SELECT signing_key FROM paired_devices WHERE id = ?"),
    // A nonce seen before (within the window) is a replay: the insert does nothing and says so.
    useNonce: db.query("INSERT INTO device_nonces (device_id, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
    forgetNonces: db.query("DELETE FROM device_nonces WHERE seen_at < ?"),
    device: db.query<Device, [string]>(`SELECT ${DEVICE_COLS} FROM paired_devices WHERE id = ?`),
    // Device ids are UUIDv7, minted at pairing: by id is the order they paired in.
    devices: db.query<Device, [string, number]>(`SELECT ${DEVICE_COLS} FROM paired_devices WHERE id > ? ORDER BY id LIMIT ?`),
    rename: db.query<Device, [string, string]>(`UPDATE paired_devices SET name = ? WHERE id = ? RETURNING ${DEVICE_COLS}`),
    revoke: db.query<Device, [number, string]>(`UPDATE paired_devices SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${DEVICE_COLS}`),
    seen: db.query("UPDATE paired_devices SET last_seen_at = ?1 WHERE id = ?2 AND (last_seen_at IS NULL OR last_seen_at < ?1 - ?3)"),
  }
}

/** Pairing windows and paired devices. */
export class Pairing {
  readonly #db: Database
  readonly #q: ReturnType<typeof statements>
  // When this process last wrote each device's last_seen_at: an UPDATE takes the write lock even when its WHERE
  // matches nothing, and the phone API would otherwise ask for it on every request (waiting behind any writer).
  readonly #seenWritten = new Map<string, number>()
  readonly #push: Pick<PushSubscriptions, "removeDevice">
  constructor(db: Database, push: Pick<PushSubscriptions, "removeDevice">) {
    this.#db = db
    this.#q = statements(db)
    this.#push = push
  }

  /** A new window; any window still open closes (one pairing at a time). */
  open(w: { id: string; secretHash: string; codeHash: string; now: number; ttlMs: number }) {
    immediate(this.#db, () => {
      this.#q.closeOpen.run(w.now)
      this.#q.insert.run(w.id, w.secretHash, w.codeHash, w.now, w.now + w.ttlMs)
    })
    return { id: w.id, expires_at: w.now + w.ttlMs }
  }

  /** Counts one attempt against the open window and returns it, or undefined when no window is open. */
  attempt(now: number): Window | undefined {
    return this.#q.count.get(now) ?? undefined
  }

  close(id: string, now: number) {
    this.#q.close.run(now, id)
  }

  /** Marks the window used and adds the device, in one transaction; undefined if the window closed meanwhile. */
  pair(
    windowId: string,
    d: { id: string; name: string | null; platform: string | null; userAgent: string | null; keyId: string; tokenExpiresAt: number; signingKey: string },
    now: number,
  ): Device | undefined {
    return immediate(this.#db, () => {
      if (this.#q.use.run(now, d.id, windowId).changes === 0) return undefined
      return this.#q.addDevice.get(d.id, d.name, d.platform, d.userAgent, now, d.keyId, d.tokenExpiresAt, d.signingKey)!
    })
  }

  /** The public key a device signs its changes with (the raw P-256 point, base64url); null if it paired before keys. */
  signingKey(id: string): string | null {
    return this.#q.signingKey.get(id)?.signing_key ?? null
  }

  /** Records a signature's nonce; false when the device used it already (a replay). Older ones are forgotten. */
  useNonce(deviceId: string, nonce: string, now: number, keepMs: number): boolean {
    return immediate(this.#db, () => {
      this.#q.forgetNonces.run(now - keepMs)
      return this.#q.useNonce.run(deviceId, nonce, now).changes === 1
    })
  }

  device(id: string): Device | undefined {
    return this.#q.device.get(id) ?? undefined
  }

  /** For the device-token check: a device row that is not revoked. */
  state(id: string): "active" | "revoked" | "unknown" {
    const d = this.#q.device.get(id)
    return !d ? "unknown" : d.revoked_at !== null ? "revoked" : "active"
  }

  /** Paired devices in the order they paired, a page at a time (the cursor is the last id). */
  devices(page: PageOptions = {}): Page<Device> {
    return keysetPage(
      page.limit,
      (n) => this.#q.devices.all(page.cursor ?? "", n),
      (d) => d.id,
    )
  }

  /** A name the operator tells it by ("Ana's iPhone"); a revoked device keeps its name too. */
  rename(id: string, name: string): Device {
    const row = this.#q.rename.get(name, id)
    if (!row) throw notFound("device", id)
    return row
  }

  revoke(id: string, now = Date.now()): Device {
    return immediate(this.#db, () => {
      const row = this.#q.revoke.get(now, id)
      if (!row) throw notFound("device", id)
      // A revoked phone is sent nothing more, and its push endpoints are not kept.
      this.#push.removeDevice(id)
      return row
    })
  }

  seen(id: string, now = Date.now()) {
    if (now - (this.#seenWritten.get(id) ?? -Infinity) < SEEN_EVERY_MS) return
    this.#seenWritten.set(id, now)
    this.#q.seen.run(now, id, SEEN_EVERY_MS)
  }

  /** Deletes up to `limit` expired windows (the retention job). */
  pruneWindows(now: number, limit: number): number {
    return this.#q.pruneWindows.run(now, limit).changes
  }
}

export const create = (db: Database, push: Pick<PushSubscriptions, "removeDevice">) => new Pairing(db, push)

export type Store = Pairing
