import { basename } from "node:path"
import type { Session } from "../db/sessions"
import type { Stores } from "../db/stores"
import type { Caller } from "./caller"

/** What Claude Code passes every hook on stdin (and each event's own fields besides). */
export type HookInput = { session_id: string; hook_event_name: string; transcript_path?: string; cwd?: string; [field: string]: unknown }
export type Transport = { kind: Session["transport_kind"]; details: Record<string, unknown> }
export type TransportEnv = { TMUX?: string; TMUX_PANE?: string; NVIM?: string; NVIM_LISTEN_ADDRESS?: string }

/** The terminal Claude Code runs in, from its environment and its stdin's tty. */
export function detectTransport(env: TransportEnv, tty: string | null): Transport {
  if (env.TMUX && env.TMUX_PANE) return { kind: "tmux", details: { tmux_socket: env.TMUX.split(",")[0], tmux_pane: env.TMUX_PANE, ...(tty ? { tty } : {}) } }
  const nvim = env.NVIM || env.NVIM_LISTEN_ADDRESS
  if (nvim) return { kind: "nvim", details: { nvim_socket: nvim, ...(tty ? { instance_name: tty } : {}) } }
  if (tty) return { kind: "pty", details: { tty } }
  return { kind: "unknown", details: {} }
}

/** How each hook moves the session: its status (what the agent is doing) and state (whether it is still there). */
const EFFECT: Record<string, Partial<Pick<Session, "status" | "state">>> = {
  SessionStart: { status: "idle", state: "active" },
  UserPromptSubmit: { status: "running" },
  Notification: { status: "awaiting_input" },
  Stop: { status: "idle" },
  SessionEnd: { status: "idle", state: "ended" },
}

/** A hook field larger than this (a tool's whole output) is left out of the event, and named in `omitted`. */
export const MAX_FIELD_BYTES = 64 * 1024

function slim(input: HookInput): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const omitted: string[] = []
  for (const [k, v] of Object.entries(input)) {
    if (k === "session_id" || k === "hook_event_name") continue
    if (JSON.stringify(v ?? null).length > MAX_FIELD_BYTES) omitted.push(k)
    else out[k] = v
  }
  if (omitted.length) out.omitted = omitted
  return out
}

/**
 * Records one hook (the caller runs it in one transaction): the session is registered or refreshed on
 * SessionStart, and on any hook for a session hive has not seen (a hook installed mid-session still
 * works); its status and state follow the hook; the hook is appended as the event `claude.<EventName>`.
 */
export function recordHook(stores: Pick<Stores, "sessions" | "events">, input: HookInput, caller: Caller, transport: Transport, now = Date.now()) {
  const existing = stores.sessions.byAgentSession(input.session_id)
  const effect = EFFECT[input.hook_event_name] ?? {}
  const fromProcess = {
    pid: caller.pid,
    ppid: caller.ppid,
    start_time: caller.start_time,
    transport_kind: transport.kind,
    transport_details: transport.details,
  }
  const label = existing?.label ?? (input.cwd ? basename(input.cwd) : null)
  const known = { ...(input.cwd ? { cwd: input.cwd, label } : {}), ...(input.transcript_path ? { transcript_path: input.transcript_path } : {}) }
  const session = existing
    ? stores.sessions.update(existing.id, { ...known, ...(input.hook_event_name === "SessionStart" ? fromProcess : {}), ...effect }, now)
    : stores.sessions.create(
        { agent_session_id: input.session_id, name: label ?? "", ...known, ...fromProcess, ...effect, state: effect.state ?? "active" },
        now,
      )
  const event = stores.events.append({ kind: `claude.${input.hook_event_name}`, session_id: session.id, ts: now, payload: slim(input) }, now)
  return { session, event }
}
