import type { Database } from "bun:sqlite"
import { notFound } from "../errors"
import { immediate } from "./tx"

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

/** Pairing windows and paired devices. */
export function create(db: Database) {
  const closeOpen = db.query("UPDATE pairing_windows SET closed_at = ?1 WHERE used_at IS NULL AND closed_at IS NULL")
  const insert = db.query("INSERT INTO pairing_windows (id, secret_hash, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
  // One statement: the count goes up whatever happens next, so parallel guesses can never outrun it.
  const count = db.query<Window, [number]>(
    `UPDATE pairing_windows SET attempts = attempts + 1
     WHERE id = (SELECT id FROM pairing_windows WHERE used_at IS NULL AND closed_at IS NULL AND expires_at > ?1 ORDER BY created_at DESC LIMIT 1)
     RETURNING id, secret_hash, code_hash, attempts, expires_at`,
  )
  const close = db.query("UPDATE pairing_windows SET closed_at = ? WHERE id = ? AND closed_at IS NULL")
  const use = db.query("UPDATE pairing_windows SET used_at = ?, device_id = ? WHERE id = ? AND used_at IS NULL AND closed_at IS NULL")
  const pruneWindows = db.query("DELETE FROM pairing_windows WHERE id IN (SELECT id FROM pairing_windows WHERE expires_at <= ? LIMIT ?)")

  const dCols = "id, name, platform, user_agent, paired_at, last_seen_at, revoked_at"
  const addDevice = db.query<Device, [string, string | null, string | null, string | null, number, string, number]>(
    `INSERT INTO paired_devices (id, name, platform, user_agent, paired_at, last_seen_at, key_id, token_expires_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7) RETURNING ${dCols}`,
  )
  const device = db.query<Device, [string]>(`SELECT ${dCols} FROM paired_devices WHERE id = ?`)
  const devices = db.query<Device, []>(`SELECT ${dCols} FROM paired_devices ORDER BY paired_at, id`)
  const revoke = db.query<Device, [number, string]>(`UPDATE paired_devices SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${dCols}`)
  const seen = db.query("UPDATE paired_devices SET last_seen_at = ?1 WHERE id = ?2 AND (last_seen_at IS NULL OR last_seen_at < ?1 - ?3)")
  // When this process last wrote each device's last_seen_at: an UPDATE takes the write lock even when its WHERE
  // matches nothing, and the phone API would otherwise ask for it on every request (waiting behind any writer).
  const seenWritten = new Map<string, number>()

  return {
    /** A new window; any window still open closes (one pairing at a time). */
    open(w: { id: string; secretHash: string; codeHash: string; now: number; ttlMs: number }) {
      immediate(db, () => {
        closeOpen.run(w.now)
        insert.run(w.id, w.secretHash, w.codeHash, w.now, w.now + w.ttlMs)
      })
      return { id: w.id, expires_at: w.now + w.ttlMs }
    },
    /** Counts one attempt against the open window and returns it, or undefined when no window is open. */
    attempt: (now: number) => count.get(now) ?? undefined,
    close: (id: string, now: number) => void close.run(now, id),
    /** Marks the window used and adds the device, in one transaction; false if the window closed meanwhile. */
    pair(
      windowId: string,
      d: { id: string; name: string | null; platform: string | null; userAgent: string | null; keyId: string; tokenExpiresAt: number },
      now: number,
    ): Device | undefined {
      return immediate(db, () => {
        if (use.run(now, d.id, windowId).changes === 0) return undefined
        return addDevice.get(d.id, d.name, d.platform, d.userAgent, now, d.keyId, d.tokenExpiresAt)!
      })
    },
    device: (id: string) => device.get(id) ?? undefined,
    /** For the device-token check: a device row that is not revoked. */
    state(id: string): "active" | "revoked" | "unknown" {
      const d = device.get(id)
      return !d ? "unknown" : d.revoked_at !== null ? "revoked" : "active"
    },
    devices: () => devices.all(),
    revoke(id: string, now = Date.now()) {
      const row = revoke.get(now, id)
      if (!row) throw notFound("device", id)
      return row
    },
    seen(id: string, now = Date.now()) {
      if (now - (seenWritten.get(id) ?? -Infinity) < SEEN_EVERY_MS) return
      seenWritten.set(id, now)
      seen.run(now, id, SEEN_EVERY_MS)
    },
    /** Deletes up to `limit` expired windows (the retention job). */
    pruneWindows: (now: number, limit: number) => pruneWindows.run(now, limit).changes,
  }
}

export type Store = ReturnType<typeof create>
