import type { PushSubscription, PushSubscriptions } from "../db/push"
import type { Logger } from "../log"
import type { Vault } from "../secrets/vault"
import type { Notice } from "./notices"

/** The vault secret the VAPID key pair derives from: made once, so a phone's subscription outlives restarts. */
export const VAPID_SECRET = "hive.vapid"
/** Who runs this push sender, as RFC 8292 asks (push services may write to it about abuse). */
const SUBJECT = "mailto:hive@users.noreply.github.com"
const SEND_TIMEOUT_MS = 10_000

export type VapidKeys = { publicKey: string; privateKey: string }

/** The install's VAPID key pair: the private key is the vault secret's 32 bytes, the public key its P-256 point. */
export async function vapidKeys(vault: Pick<Vault, "ownSecret">): Promise<VapidKeys> {
  const secret = vault.ownSecret(VAPID_SECRET, 32)
  const { createECDH } = await import("node:crypto")
  const ecdh = createECDH("prime256v1")
  ecdh.setPrivateKey(Buffer.from(secret))
  return { publicKey: ecdh.getPublicKey().toString("base64url"), privateKey: Buffer.from(secret).toString("base64url") }
}

/** What the service worker (src/web/sw.js) reads out of a push. */
export const pushPayload = (n: Notice) => ({ title: n.title, body: n.body, tag: n.tag, path: n.path, approval: n.approval ?? null })

export type PushOutcome = "sent" | "gone" | "failed"

/** Whether an endpoint is one hive sends to: https (a local push service over http only when testing). */
export function endpointError(endpoint: string, allowHttp: boolean): string | null {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return "endpoint must be a URL"
  }
  if (url.protocol === "https:") return null
  if (allowHttp && url.protocol === "http:") return null
  return "endpoint must be an https URL of a push service"
}

/**
 * Sends one notice to every paired phone's subscriptions, encrypted for each (RFC 8291) and signed with the
 * install's VAPID key (RFC 8292). web-push builds the request; hive's own fetch sends it, with a timeout.
 * A subscription the push service calls gone (404, 410) is deleted; others count their failures.
 */
export async function sendWebPush(o: {
  notice: Notice
  subscriptions: PushSubscription[]
  keys: VapidKeys
  store: Pick<PushSubscriptions, "remove" | "sent" | "failed">
  logger: Logger
  commit: (fn: () => void) => Promise<unknown>
}): Promise<PushOutcome[]> {
  if (o.subscriptions.length === 0) return []
  // Loaded only when there is something to send: it is not on any start-up path.
  const webpush = (await import("web-push")).default
  const body = JSON.stringify(pushPayload(o.notice))
  return Promise.all(
    o.subscriptions.map(async (s): Promise<PushOutcome> => {
      let outcome: PushOutcome
      let why = ""
      try {
        const req = webpush.generateRequestDetails({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, body, {
          vapidDetails: { subject: SUBJECT, publicKey: o.keys.publicKey, privateKey: o.keys.privateKey },
          TTL: 24 * 3600,
          urgency: "high",
        })
        const res = await fetch(req.endpoint, {
          method: "POST",
          headers: req.headers as Record<string, string>,
          body: req.body as Uint8Array,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
          redirect: "error",
        })
        await res.body?.cancel()
        outcome = res.ok ? "sent" : res.status === 404 || res.status === 410 ? "gone" : "failed"
        why = `${res.status}`
      } catch (err) {
        outcome = "failed"
        why = (err as Error).name === "TimeoutError" ? "no answer within 10 s" : "the request failed"
      }
      await o.commit(() => {
        if (outcome === "sent") o.store.sent(s.endpoint)
        else if (outcome === "gone") o.store.remove(s.endpoint)
        else o.store.failed(s.endpoint)
      })
      // Only the push service's host: the endpoint's path is a capability.
      const host = new URL(s.endpoint).host
      if (outcome === "gone") o.logger.info(`push: ${host} says a phone's subscription is gone; removed it`)
      else if (outcome === "failed") o.logger.warn(`push: ${host} refused a notification (${why})`)
      return outcome
    }),
  )
}
