import type { Logger } from "../log"
import type { Notice } from "./notices"

/** The vault secret holding the webhook's URL (it is often a capability: Slack's and ntfy's are). */
export const WEBHOOK_SECRET = "notifications.webhook"
const SEND_TIMEOUT_MS = 10_000

/**
 * One JSON body both kinds of receiver read: Slack's incoming webhooks take `text`; ntfy, posted at its root
 * URL, takes `topic` (the notifications.webhookTopic preference), `title`, `message`, `tags` and `click`.
 * Anything else gets the same fields to pick from, plus `kind`.
 */
export function webhookBody(n: Notice, o: { topic?: string; phoneUrl?: string }) {
  const click = o.phoneUrl ? new URL(n.path, o.phoneUrl).href : undefined
  return {
    text: `*${n.title}*\n${n.body}`,
    ...(o.topic ? { topic: o.topic } : {}),
    title: n.title,
    message: n.body,
    tags: ["hive", n.kind],
    priority: n.kind === "approvalRequested" || n.kind === "inputRequired" ? 4 : 3,
    ...(click ? { click } : {}),
    kind: n.kind,
  }
}

/** POSTs a notice to the webhook; a failure is logged (never with the URL) and not retried. */
export async function sendWebhook(url: string, body: object, logger: Logger): Promise<boolean> {
  let host = "the webhook"
  try {
    host = new URL(url).host
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      redirect: "error",
    })
    await res.body?.cancel()
    if (res.ok) return true
    logger.warn(`notifications: ${host} answered ${res.status} to a notification`)
  } catch (err) {
    logger.warn(`notifications: could not reach ${host} (${(err as Error).name === "TimeoutError" ? "no answer within 10 s" : "the request failed"})`)
  }
  return false
}
