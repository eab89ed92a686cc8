import { basename } from "node:path"
import type { Session } from "../db/sessions"
import type { Stores } from "../db/stores"
import type { Caller, Transport } from "./caller"

/** What Claude Code passes every hook on stdin (and each event's own fields besides). */
export type HookInput = { session_id: string; hook_event_name: string; transcript_path?: string; cwd?: string; [field: string]: unknown }

/** How each hook moves the session: its status (what the agent is doing) and state (whether it is still there). */
const EFFECT: Record<string, Partial<Pick<Session, "status" | "state">>> = {
  SessionStart: { status: "idle", state: "active" },
  UserPromptSubmit: { status: "running" },
  // A tool runs: the agent works (after a permission was granted, too).
  PreToolUse: { status: "running" },
  PostToolUse: { status: "running" },
  PermissionRequest: { status: "awaiting_input" },
  Stop: { status: "idle" },
  SessionEnd: { status: "idle", state: "ended" },
}

/** A Notification says why Claude Code waits: a permission (or a question) is awaited input; idle is the prompt. */
const NOTIFIED: Record<string, Session["status"]> = {
  permission_prompt: "awaiting_input",
  elicitation_dialog: "awaiting_input",
  idle_prompt: "idle",
}

export function effectOf(input: HookInput): Partial<Pick<Session, "status" | "state">> {
  if (input.hook_event_name !== "Notification") return EFFECT[input.hook_event_name] ?? {}
  const status = typeof input.notification_type === "string" ? NOTIFIED[input.notification_type] : undefined
  // An older Claude Code names no type: a notification then meant it waits for the user.
  return status ? { status } : input.notification_type === undefined ? { status: "awaiting_input" } : {}
}

/** A prompt this soon after hive typed a reply into the session is that reply: nobody came back to the terminal. */
export const REPLY_WINDOW_MS = 15_000

/**
 * Whether someone is at the session's terminal: not once Claude Code reports it idle at its prompt (it does so
 * after a minute) or hive typed a reply in from elsewhere; again once someone starts a session or types a prompt there.
 */
function attendance(input: HookInput, existing: Session | undefined, now: number): Partial<Pick<Session, "unattended_since">> {
  const since = existing?.unattended_since ?? null
  if (input.hook_event_name === "Notification" && input.notification_type === "idle_prompt") return { unattended_since: since ?? now }
  if (input.hook_event_name === "SessionStart") return { unattended_since: null }
  if (input.hook_event_name === "UserPromptSubmit" && since !== null && now - since >= REPLY_WINDOW_MS) return { unattended_since: null }
  return {}
}

/** A string in a hook's input longer than this (a file a Write wrote, a tool's whole output) is left out. */
export const MAX_FIELD_BYTES = 64 * 1024
/** And the whole event at most this: the largest fields left go next (many medium ones can add up). */
const MAX_EVENT_BYTES = 256 * 1024

const sizeOf = (v: unknown) => JSON.stringify(v ?? null).length

/** `value` without its strings over MAX_FIELD_BYTES; each one left out is named by its path in `omitted`. */
function withoutLarge(value: unknown, path: string, omitted: string[]): unknown {
  if (typeof value === "string") return value.length > MAX_FIELD_BYTES ? undefined : value
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) {
    if (sizeOf(value) <= MAX_FIELD_BYTES) return value
    omitted.push(path)
    return undefined
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k
    const kept = withoutLarge(v, at, omitted)
    if (kept === undefined && v !== undefined) {
      if (typeof v === "string") omitted.push(at)
    } else out[k] = kept
  }
  return out
}

/**
 * A hook's input as an event keeps: big strings left out (a Write's content, a Read's output) and named in
 * `omitted`, while what a person looks for stays (the tool, the file path, the command).
 */
export function slimInput(input: HookInput): HookInput {
  const omitted: string[] = Array.isArray(input.omitted) ? (input.omitted as string[]).filter((o) => typeof o === "string") : []
  const out = withoutLarge(input, "", omitted) as HookInput
  for (const [k, v] of Object.entries(out)
    .filter(([k]) => k !== "session_id" && k !== "hook_event_name")
    .sort(([, a], [, b]) => sizeOf(b) - sizeOf(a))) {
    if (sizeOf(out) <= MAX_EVENT_BYTES) break
    if (sizeOf(v) > 1024) {
      delete out[k]
      omitted.push(k)
    }
  }
  if (omitted.length) out.omitted = [...new Set(omitted)]
  return out
}

function payloadOf(input: HookInput): Record<string, unknown> {
  const { session_id: _s, hook_event_name: _h, ...rest } = slimInput(input)
  return rest
}

/** The fields a hook reports of its session, each when the hook carries it. */
function reported(input: HookInput): Partial<Session> {
  const text = (v: unknown, max = 200) => (typeof v === "string" && v.length <= max ? v : undefined)
  const out: Partial<Session> = {}
  const mode = text(input.permission_mode, 64)
  if (mode) out.permission_mode = mode
  const model = text(input.model)
  if (model) out.model = model
  if (input.hook_event_name === "SessionStart" && text(input.source, 64)) out.start_source = input.source as string
  if (input.hook_event_name === "SessionEnd" && text(input.reason, 64)) out.end_reason = input.reason as string
  return out
}

/** What a resume changed on the session it resumed, kept in its SessionStart event: a fork gives it back. */
type Previous = Pick<Session, "state" | "status" | "pid" | "ppid" | "start_time" | "transport_kind" | "transport_details" | "end_reason">

/**
 * `claude --resume X --fork-session` sends SessionStart with X's id, then every other hook with the fork's
 * new id, from the same process. So a hook for an unknown session, from the process a resumed session now
 * has, is that session's fork: the fork is its own row pointing at its parent, and the parent gets back what
 * the resume changed (an ended session stays ended).
 */
function forkedFrom(stores: Pick<Stores, "sessions" | "events">, input: HookInput, caller: Caller | null, now: number): Session | undefined {
  if (input.hook_event_name === "SessionStart") return undefined
  // A command hook knows the process; an http hook does not, and then the fork's first hook comes right after
  // its SessionStart: a session of the same folder resumed in the last minute, with nothing recorded since.
  const parent =
    caller && caller.pid > 1
      ? stores.sessions.byProcess(caller.pid, caller.start_time)
      : typeof input.cwd === "string"
        ? stores.sessions.lastResumed(input.cwd, now - FORK_WINDOW_MS)
        : undefined
  if (!parent || parent.agent_session_id === input.session_id) return undefined
  const start = stores.events.lastOfKind(parent.id, "claude.SessionStart")
  const payload = start?.payload as { source?: unknown; resumed_from?: Previous } | undefined
  if (payload?.source !== "resume") return undefined
  if (!caller && stores.events.lastOf(parent.id)?.id !== start!.id) return undefined
  if (payload.resumed_from) stores.sessions.update(parent.id, payload.resumed_from, now)
  return parent
}

/** How soon after a resume's SessionStart an http hook for a new id is taken for its fork. */
const FORK_WINDOW_MS = 60_000

/**
 * Records one hook (the caller runs it in one transaction): the session is registered or refreshed on
 * SessionStart, and on any hook for a session hive has not seen (a hook installed mid-session still
 * works); its status and state follow the hook, and the fields a user filters on (permission mode, model,
 * how it started and ended) are kept on the row; the hook is appended as the event `claude.<EventName>`.
 */
export function recordHook(
  stores: Pick<Stores, "sessions" | "events">,
  input: HookInput,
  caller: Caller | null,
  transport: Transport | null,
  now = Date.now(),
) {
  const existing = stores.sessions.byAgentSession(input.session_id)
  const effect = { ...effectOf(input), ...attendance(input, existing, now) }
  // An http hook (no caller) knows nothing of the process: the row keeps what a command hook saw.
  const fromProcess =
    caller && transport
      ? { pid: caller.pid, ppid: caller.ppid, start_time: caller.start_time, transport_kind: transport.kind, transport_details: transport.details }
      : {}
  const label = existing?.label ?? (input.cwd ? basename(input.cwd) : null)
  const known = {
    ...(input.cwd ? { cwd: input.cwd, label } : {}),
    ...(input.transcript_path ? { transcript_path: input.transcript_path } : {}),
    ...reported(input),
  }
  const payload = payloadOf(input)
  let session: Session
  if (existing) {
    const starting = input.hook_event_name === "SessionStart"
    if (starting && input.source === "resume") {
      const { state, status, pid, ppid, start_time, transport_kind, transport_details, end_reason } = existing
      payload.resumed_from = { state, status, pid, ppid, start_time, transport_kind, transport_details, end_reason } satisfies Previous
    }
    session = stores.sessions.update(existing.id, { ...known, ...(starting ? { ...fromProcess, end_reason: null } : {}), ...effect }, now)
  } else {
    const parent = forkedFrom(stores, input, caller, now)
    session = stores.sessions.create(
      {
        agent_session_id: input.session_id,
        name: label ?? "",
        ...known,
        ...(parent && !caller
          ? {
              pid: parent.pid,
              ppid: parent.ppid,
              start_time: parent.start_time,
              transport_kind: parent.transport_kind,
              transport_details: parent.transport_details,
            }
          : {}),
        ...fromProcess,
        ...(parent ? { parent_session_id: parent.id, start_source: "fork", project_id: parent.project_id } : {}),
        ...effect,
        state: effect.state ?? "active",
      },
      now,
    )
  }
  const short = (v: unknown, max: number) => (typeof v === "string" && v.length <= max ? v : null)
  const event = stores.events.append(
    {
      kind: `claude.${input.hook_event_name}`,
      session_id: session.id,
      ts: now,
      payload,
      tool_name: short(input.tool_name, 200),
      tool_use_id: short(input.tool_use_id, 200),
      subagent_id: short(input.agent_id, 128),
      notification_type: short(input.notification_type, 64),
    },
    now,
  )
  return { session, event }
}
