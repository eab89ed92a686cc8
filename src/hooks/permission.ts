import type { Approval } from "../db/broker"
import type { Session } from "../db/sessions"
import type { Stores } from "../db/stores"
import type { HookInput } from "./record"

/**
 * When a Claude Code permission prompt becomes an approval hive holds open (preference `permissions.policy`):
 * `off` never; `remote` when nobody is at the session's terminal (Claude Code reported it idle at its prompt,
 * a reply was typed in from elsewhere, or the prompt has waited `permissions.remoteAfterSeconds` unanswered);
 * `always` at once. Claude Code shows its own prompt all the while: whichever answers first wins.
 */
export const POLICIES = ["off", "remote", "always"] as const
export type Policy = (typeof POLICIES)[number]

/** How long Claude Code waits for hive's PermissionRequest hook (`hive hook install` writes it, in seconds). */
export const HOOK_TIMEOUT_S = 900
/** Room between hive's own deadline and Claude Code's hook timeout, so hive always answers first. */
const MARGIN_MS = 30_000

export type PermissionSettings = {
  policy: Policy
  /** Patterns hive allows by itself (recorded as approvals approved by the pattern). */
  allow: string[]
  /** Patterns that always open an approval, even at an attended terminal (under `remote`). */
  ask: string[]
  /** How long an approval stays open before hive withdraws it and leaves the prompt to Claude Code. */
  deadlineMs: number
  /** Under `remote`: how long a prompt waits unanswered at the terminal before the approval opens. */
  remoteAfterMs: number
}

export const PREFERENCE_KEYS = {
  policy: "permissions.policy",
  allow: "permissions.allow",
  ask: "permissions.ask",
  deadline: "permissions.deadlineSeconds",
  remoteAfter: "permissions.remoteAfterSeconds",
} as const

const DEFAULTS = { policy: "remote" as Policy, deadlineS: 600, remoteAfterS: 60 }

/** What GET /api/preferences answers for the permissions.* keys nobody set. */
export const PERMISSION_DEFAULTS: Record<string, unknown> = {
  [PREFERENCE_KEYS.policy]: DEFAULTS.policy,
  [PREFERENCE_KEYS.allow]: [],
  [PREFERENCE_KEYS.ask]: [],
  [PREFERENCE_KEYS.deadline]: DEFAULTS.deadlineS,
  [PREFERENCE_KEYS.remoteAfter]: DEFAULTS.remoteAfterS,
}

/** Why `value` is no good for one of the permissions.* preferences, or null when it is (or the key is another). */
export function permissionPreferenceError(key: string, value: unknown): string | null {
  const longest = HOOK_TIMEOUT_S - MARGIN_MS / 1000 - 5
  switch (key) {
    case PREFERENCE_KEYS.policy:
      return POLICIES.includes(value as Policy) ? null : `${key} is one of ${POLICIES.join(", ")}`
    case PREFERENCE_KEYS.allow:
    case PREFERENCE_KEYS.ask:
      return Array.isArray(value) && value.every((p) => typeof p === "string" && /^[^()]+(\(.*\))?$/s.test(p.trim()))
        ? null
        : `${key} is a list of patterns such as "Bash(npm test*)", "Read", "mcp__hive__*"`
    case PREFERENCE_KEYS.deadline:
    case PREFERENCE_KEYS.remoteAfter:
      return typeof value === "number" && Number.isFinite(value) && value >= (key === PREFERENCE_KEYS.deadline ? 1 : 0) && value <= longest
        ? null
        : `${key} is a number of seconds, ${key === PREFERENCE_KEYS.deadline ? 1 : 0} to ${longest} (Claude Code waits ${HOOK_TIMEOUT_S} s for the hook)`
    default:
      return null
  }
}

/** What a preference holds when it is valid; otherwise the default (a wrong type must not open the gate). */
export function permissionSettings(value: (key: string) => unknown): PermissionSettings {
  const policy = value(PREFERENCE_KEYS.policy)
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((p): p is string => typeof p === "string" && p.trim() !== "") : [])
  const seconds = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : fallback)
  const remoteAfterMs = Math.min(seconds(value(PREFERENCE_KEYS.remoteAfter), DEFAULTS.remoteAfterS) * 1000, HOOK_TIMEOUT_S * 1000 - MARGIN_MS - 5000)
  const deadlineMs = Math.max(
    1000,
    Math.min(seconds(value(PREFERENCE_KEYS.deadline), DEFAULTS.deadlineS) * 1000, HOOK_TIMEOUT_S * 1000 - MARGIN_MS - remoteAfterMs),
  )
  return {
    policy: POLICIES.includes(policy as Policy) ? (policy as Policy) : DEFAULTS.policy,
    allow: list(value(PREFERENCE_KEYS.allow)),
    ask: list(value(PREFERENCE_KEYS.ask)),
    deadlineMs,
    remoteAfterMs,
  }
}

/** The input field a pattern's specifier is matched against, by tool. */
const SUBJECT: Record<string, string> = {
  Bash: "command",
  Read: "file_path",
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
  WebFetch: "url",
  WebSearch: "query",
  Glob: "pattern",
  Grep: "pattern",
}

type ToolCall = { tool: string; input: Record<string, unknown> }

export function toolCallOf(hook: HookInput): ToolCall {
  const input = hook.tool_input
  return {
    tool: typeof hook.tool_name === "string" ? hook.tool_name : "unknown",
    input: typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {},
  }
}

/** What the approval names: the command, the path, the address; for any other tool its whole input. */
export function subjectOf(call: ToolCall): string {
  const field = SUBJECT[call.tool]
  const value = field ? call.input[field] : undefined
  return typeof value === "string" ? value : JSON.stringify(call.input)
}

const literal = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
/** `*` is any run of characters; Claude Code's `prefix:*` is the same as `prefix*`. */
const glob = (pattern: string) => new RegExp(`^${pattern.replace(/:\*$/, "*").split("*").map(literal).join("[\\s\\S]*")}$`)

/** A shell command that runs more than one thing, or redirects: an allow pattern for one command never covers it. */
const COMPOUND = /[;&|`\n<>]|\$\(/

/**
 * Whether `pattern` (`Tool`, `Tool(specifier)`, `mcp__server__*`) covers the call. `allowing`: a Bash pattern
 * that itself names no shell operator never matches a compound command (`git status; rm -rf ~` is not `git status*`).
 */
export function matches(pattern: string, call: ToolCall, allowing: boolean): boolean {
  const m = /^([^()]+?)\s*(?:\((.*)\))?$/s.exec(pattern.trim())
  if (!m) return false
  if (!glob(m[1]!).test(call.tool)) return false
  if (m[2] === undefined || m[2] === "*") return true
  const subject = subjectOf(call)
  if (allowing && call.tool === "Bash" && COMPOUND.test(subject) && !COMPOUND.test(m[2])) return false
  return glob(m[2]).test(subject)
}

/** What hive does with one permission prompt. */
export type Plan =
  | { kind: "none" }
  | { kind: "allow"; pattern: string }
  | { kind: "ask"; why: string }
  /** Under `remote` at an attended terminal: ask only if the prompt is still unanswered after `afterMs`. */
  | { kind: "ask-later"; afterMs: number }

export function planFor(settings: PermissionSettings, call: ToolCall, session: Pick<Session, "unattended_since">): Plan {
  if (settings.policy === "off") return { kind: "none" }
  const ask = settings.ask.find((p) => matches(p, call, false))
  if (ask) return { kind: "ask", why: `the pattern ${ask} always asks` }
  const allow = settings.allow.find((p) => matches(p, call, true))
  if (allow) return { kind: "allow", pattern: allow }
  if (settings.policy === "always") return { kind: "ask", why: "the policy is always" }
  if (session.unattended_since !== null) return { kind: "ask", why: "nobody is at the terminal" }
  return { kind: "ask-later", afterMs: settings.remoteAfterMs }
}

/** The hook's answer: allow or deny, as Claude Code 2.1's PermissionRequest reads it; `{}` leaves it to Claude Code. */
export function decisionFor(approval: Approval | undefined): Record<string, unknown> {
  if (approval?.status === "approved") return { hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "allow" } } }
  if (approval?.status === "denied")
    return {
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "deny", message: approval.resolution_note || "Denied through hive." },
      },
    }
  return {}
}

/**
 * Opens the approval for a prompt (the caller runs it in a transaction). `leftUnanswered`: it opens because the
 * prompt waited unanswered at the terminal, so the session is marked unattended too.
 */
export function openApproval(
  stores: Pick<Stores, "broker" | "sessions">,
  session: Session,
  call: ToolCall,
  deadlineMs: number,
  opts: { leftUnanswered: boolean },
  now = Date.now(),
): Approval {
  if (opts.leftUnanswered && session.unattended_since === null) stores.sessions.update(session.id, { unattended_since: now }, now)
  const description = call.input.description
  return stores.broker.requestForSession(
    { id: session.id, name: session.label || session.name || session.id },
    { kind: call.tool, ref: subjectOf(call), note: typeof description === "string" ? description : null, deadlineAt: now + deadlineMs },
    now,
  )
}
