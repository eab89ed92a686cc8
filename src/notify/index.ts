import type { GroupCommit } from "../db/group-commit"
import type { Event } from "../db/events"
import type { Stores } from "../db/stores"
import type { Logger } from "../log"
import type { Pulse } from "../pulse"
import type { Vault } from "../secrets/vault"
import { type Lookups, type Notice, noticeEnabled, noticeFor } from "./notices"
import { sendWebhook, WEBHOOK_SECRET, webhookBody } from "./webhook"
import { sendWebPush, type VapidKeys, vapidKeys } from "./webpush"

/** Between two looks at the event table when nothing wakes it (other processes write too: `hive hook`). */
const POLL_MS = 2000
const PAGE = 200

export type Delivery = { notice: Notice; push: string[]; webhook: boolean | null }

export type Notifier = {
  /** Follows the event table from its newest event on, telling the operator what calls for it. */
  start(): void
  stop(): Promise<void>
  /** The VAPID public key a phone subscribes with (made once per install). */
  publicKey(): Promise<string>
  /** Delivers one notice now, through every channel, whatever the preferences say (the test button). */
  deliver(notice: Notice): Promise<Delivery>
}

type Deps = {
  stores: Pick<Stores, "events" | "broker" | "sessions" | "preferences" | "push">
  vault: Pick<Vault, "ownSecret" | "useSecret">
  pulse: Pulse
  commit: GroupCommit
  logger: Logger
  /** Where a notification's link leads: the tunnel's address while it is up. */
  phoneBaseUrl: () => string
}

/**
 * Notifications fan out from state changes, not from routes: one follower of the event table (approvals and
 * questions put their changes there; Claude Code's hooks are events) turns what calls for the operator into
 * a notice, and sends it by Web Push to every paired phone and to the webhook, as the preferences allow.
 */
export function createNotifier({ stores, vault, pulse, commit, logger, phoneBaseUrl }: Deps): Notifier {
  let running = false
  let loop: Promise<void> | null = null
  let wake = () => {}
  let keys: Promise<VapidKeys> | null = null
  const vapid = () => (keys ??= vapidKeys(vault))
  const found = <T>(read: () => T): T | undefined => {
    try {
      return read()
    } catch {
      return undefined
    }
  }
  const look: Lookups = {
    approval: (id) => found(() => stores.broker.approval(id)),
    question: (id) => found(() => stores.broker.question(id)),
    session: (id) => stores.sessions.find(id),
    heldApproval: (id) => stores.broker.approvals({ status: "pending", session_id: id, limit: 1 }).items.length > 0,
  }
  const run = (fn: () => void) => commit.run(fn)

  async function deliver(notice: Notice): Promise<Delivery> {
    const url = vault.useSecret(WEBHOOK_SECRET)
    const topic = stores.preferences.value("notifications.webhookTopic")
    const [push, webhook] = await Promise.all([
      (async () => {
        const subscriptions = stores.push.active()
        if (subscriptions.length === 0) return []
        return sendWebPush({ notice, subscriptions, keys: await vapid(), store: stores.push, logger, commit: run })
      })(),
      url
        ? sendWebhook(
            new TextDecoder().decode(url),
            webhookBody(notice, { topic: typeof topic === "string" ? topic : undefined, phoneUrl: phoneBaseUrl() }),
            logger,
          )
        : Promise.resolve(null),
    ])
    return { notice, push, webhook }
  }

  async function consider(event: Event) {
    const notice = noticeFor(event, look)
    if (!notice || !noticeEnabled(notice.kind, (k) => stores.preferences.value(k))) return
    await deliver(notice)
  }

  async function follow() {
    let cursor = stores.events.newest()
    while (running) {
      try {
        const page = stores.events.next(cursor, {}, PAGE)
        for (const event of page.events) if (running) await consider(event)
        cursor = page.cursor
        if (page.more) continue
      } catch (err) {
        // A busy or closing database: the next look tries again; a notification is never worth a crash.
        logger.debug(`notifications: ${(err as Error).message}`)
      }
      await Promise.race([pulse.wait(POLL_MS), new Promise<void>((resolve) => (wake = resolve))])
    }
  }

  return {
    start() {
      if (running) return
      running = true
      loop = follow()
    },
    async stop() {
      running = false
      wake()
      // A send under way may wait on a slow push service for its 10 s: a stopping server does not.
      await Promise.race([loop, Bun.sleep(2000)])
    },
    publicKey: async () => (await vapid()).publicKey,
    deliver,
  }
}
