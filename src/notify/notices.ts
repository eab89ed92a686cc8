import type { Approval, Question } from "../db/broker"
import type { Event } from "../db/events"
import type { Session } from "../db/sessions"

/** What the operator is told of: seed 000's two kinds, and hive's own queues. */
export const NOTICE_KINDS = ["approvalRequested", "questionAsked", "inputRequired", "sessionComplete"] as const
export type NoticeKind = (typeof NOTICE_KINDS)[number]

/** One notification, whatever carries it (Web Push, a webhook). */
export type Notice = {
  kind: NoticeKind
  title: string
  body: string
  /** A later notice with the same tag replaces this one on the phone. */
  tag: string
  /** Where on the phone page it leads (a path with a fragment). */
  path: string
  /** An approval it asks about: Web Push offers Approve and Deny on it. */
  approval?: string
}

/** What a notice needs to read besides its event. */
export type Lookups = {
  approval(id: string): Approval | undefined
  question(id: string): Question | undefined
  session(id: string): Session | undefined
  /** Whether a session has a permission prompt held as an approval (its own notice says it). */
  heldApproval(sessionId: string): boolean
}

const PREFIX = "notifications."

/** Every kind is on unless switched off (seed 000: inputRequired and sessionComplete default to true). */
export const NOTICE_DEFAULTS: Record<string, unknown> = Object.fromEntries(NOTICE_KINDS.map((k) => [`${PREFIX}${k}`, true]))

/**
 * Whether a kind is on: the `notifications.<kind>` preference, else the older app's `notifications` object
 * (seed 000, imported as it was), else on. A value that is not a boolean is refused when set.
 */
export function noticeEnabled(kind: NoticeKind, pref: (key: string) => unknown): boolean {
  const own = pref(`${PREFIX}${kind}`)
  if (typeof own === "boolean") return own
  const legacy = pref("notifications")
  if (typeof legacy === "object" && legacy !== null && typeof (legacy as Record<string, unknown>)[kind] === "boolean")
    return (legacy as Record<string, boolean>)[kind]!
  return true
}

/** The PUT /api/preferences check for the notification switches: a clear message, or null when it is fine. */
export function notificationPreferenceError(key: string, value: unknown): string | null {
  if (!key.startsWith(PREFIX)) return null
  const kind = key.slice(PREFIX.length)
  if (kind === "webhookTopic")
    return typeof value === "string" && /^[\w-]{1,64}$/.test(value) ? null : `${key} must be a topic name: 1 to 64 of A-Z a-z 0-9 _ -`
  if (!(NOTICE_KINDS as readonly string[]).includes(kind))
    return `${key} is not a notification setting: use one of ${NOTICE_KINDS.map((k) => PREFIX + k).join(", ")}, or ${PREFIX}webhookTopic`
  return typeof value === "boolean" ? null : `${key} must be true or false`
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)
const nameOf = (s: Session | undefined) => s?.label ?? s?.name ?? (s ? `session ${s.id.slice(0, 8)}` : "a session")

/** The notice an event calls for, or null: most events are not worth a buzz. */
export function noticeFor(event: Event, look: Lookups): Notice | null {
  const payload = (event.payload ?? {}) as { id?: unknown; status?: unknown; message?: unknown }
  switch (event.kind) {
    case "approval.requested": {
      const a = typeof payload.id === "string" ? look.approval(payload.id) : undefined
      if (a?.status !== "pending") return null
      const who = a.session_id ? nameOf(look.session(a.session_id)) : a.agent
      return {
        kind: "approvalRequested",
        title: `${who} asks: ${clip(a.kind, 60)}`,
        body: clip([a.ref, a.note].filter(Boolean).join(" — ") || "an approval is waiting", 300),
        tag: `approval-${a.id}`,
        path: `/#approval=${a.id}`,
        approval: a.id,
      }
    }
    case "question.asked": {
      const q = typeof payload.id === "string" ? look.question(payload.id) : undefined
      // A question to another agent is theirs to answer, not the operator's.
      if (q?.status !== "open" || q.target !== null) return null
      return {
        kind: "questionAsked",
        title: `${q.asker} asks`,
        body: clip(`${q.question}${q.options.length ? ` (${q.options.join(" / ")})` : ""}`, 300),
        tag: `question-${q.id}`,
        path: `/#question=${q.id}`,
      }
    }
    case "claude.Notification": {
      if (!event.session_id) return null
      const type = event.notification_type
      // A permission prompt held as an approval has its own notice, with its buttons.
      if (type === "permission_prompt" && look.heldApproval(event.session_id)) return null
      if (type !== "idle_prompt" && type !== "permission_prompt" && type !== "elicitation_dialog") return null
      const session = look.session(event.session_id)
      return {
        kind: "inputRequired",
        title: `${nameOf(session)} is waiting for you`,
        body: clip(typeof payload.message === "string" ? payload.message : "Claude Code waits for your input", 300),
        tag: `session-${event.session_id}`,
        path: `/#session=${event.session_id}`,
      }
    }
    case "claude.Stop": {
      if (!event.session_id) return null
      const session = look.session(event.session_id)
      return {
        kind: "sessionComplete",
        title: `${nameOf(session)} is done`,
        body: "Claude Code finished its turn",
        tag: `session-${event.session_id}`,
        path: `/#session=${event.session_id}`,
      }
    }
    default:
      return null
  }
}
