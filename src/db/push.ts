import type { Database } from "bun:sqlite"

/** A browser's push subscription (its endpoint and the keys that encrypt for it): never listed or logged. */
export type PushSubscription = { endpoint: string; device_id: string; p256dh: string; auth: string }

/** A subscription its push service refused this often in a row is not tried again until the phone renews it. */
export const GIVE_UP_AFTER = 20

function statements(db: Database) {
  return {
    put: db.query<{ created: number }, [string, string, string, string, number]>(
      `INSERT INTO push_subscriptions (endpoint, device_id, p256dh, auth, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (endpoint) DO UPDATE SET device_id = excluded.device_id, p256dh = excluded.p256dh, auth = excluded.auth, failures = 0
       RETURNING created_at = ?5 AS created`,
    ),
    forDevice: db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM push_subscriptions WHERE device_id = ?"),
    // Only devices still paired: a revoked one is told nothing.
    active: db.query<PushSubscription, []>(
      `SELECT s.endpoint, s.device_id, s.p256dh, s.auth FROM push_subscriptions s
       JOIN paired_devices d ON d.id = s.device_id WHERE d.revoked_at IS NULL AND s.failures < ${GIVE_UP_AFTER} ORDER BY s.created_at`,
    ),
    removeDevice: db.query("DELETE FROM push_subscriptions WHERE device_id = ?"),
    remove: db.query("DELETE FROM push_subscriptions WHERE endpoint = ?"),
    sent: db.query("UPDATE push_subscriptions SET last_sent_at = ?, failures = 0 WHERE endpoint = ?"),
    failed: db.query("UPDATE push_subscriptions SET failures = failures + 1 WHERE endpoint = ?"),
  }
}

/** Where hive sends Web Push notifications: each paired phone's subscriptions. */
export class PushSubscriptions {
  readonly #q: ReturnType<typeof statements>
  constructor(db: Database) {
    this.#q = statements(db)
  }

  /** Adds or renews a subscription; true when it is new. */
  put(s: PushSubscription, now = Date.now()): boolean {
    return this.#q.put.get(s.endpoint, s.device_id, s.p256dh, s.auth, now)!.created === 1
  }

  count(deviceId: string): number {
    return this.#q.forDevice.get(deviceId)!.n
  }

  active(): PushSubscription[] {
    return this.#q.active.all()
  }

  removeDevice(deviceId: string) {
    this.#q.removeDevice.run(deviceId)
  }

  remove(endpoint: string) {
    this.#q.remove.run(endpoint)
  }

  sent(endpoint: string, now = Date.now()) {
    this.#q.sent.run(now, endpoint)
  }

  failed(endpoint: string) {
    this.#q.failed.run(endpoint)
  }
}

export const create = (db: Database) => new PushSubscriptions(db)
