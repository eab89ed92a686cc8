import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import * as Sessions from "../db/sessions"
import { decisionFor, openApproval, permissionSettings, planFor, toolCallOf } from "../hooks/permission"
import { hookCaller } from "../hooks/caller"
import { type HookInput, recordHook, slimInput } from "../hooks/record"
import { Body, Int, Json, Nullable, OneOf, Pid, Text } from "./schemas"
import { holdOpen, longPoll, pause, waitSignal } from "./wait"
import { HTTP_HOOK_PATH } from "../hooks/settings"

/** Claude Code's own hook input, as its http hooks POST it. */
const RawInput = t.Object(
  { session_id: Text(256, 1), hook_event_name: Text(64, 1), transcript_path: t.Optional(Text(4096)), cwd: t.Optional(Text(4096)) },
  { additionalProperties: true, description: "the hook's input, exactly as Claude Code sends it" },
)

// What `hive hook` sends when a server runs: Claude Code's hook input as it came, and either what the CLI saw
// of the process that ran it (a server elsewhere cannot see that process), or, from the server's own machine,
// that process's pid and the hook's terminal variables, for the server to read the rest itself (sparing the
// hook, which Claude Code waits for, its reads of /proc).
const HookBody = t.Union([
  Body({
    input: RawInput,
    caller: Body({ pid: Pid(1), ppid: Nullable(Pid(0)), start_time: Nullable(Int({ minimum: 0 })), tty: Nullable(Text(256)) }),
    transport: Body({ kind: OneOf(Sessions.TRANSPORTS), details: Json }),
  }),
  Body({
    input: RawInput,
    parent_pid: Pid(1),
    terminal: Body({
      TMUX: t.Optional(Text(4096)),
      TMUX_PANE: t.Optional(Text(256)),
      NVIM: t.Optional(Text(4096)),
      NVIM_LISTEN_ADDRESS: t.Optional(Text(4096)),
    }),
  }),
])

/** An http hook's request: its body may be far over the API's body limit (HIVE_MAX_HOOK_BYTES). */
export const isHookInput = (request: Request) => {
  if (request.method !== "POST") return false
  const path = request.url.slice(request.url.indexOf("/", 8))
  return path === HTTP_HOOK_PATH || path.startsWith(`${HTTP_HOOK_PATH}?`)
}

type Deps = Pick<Hive, "stores" | "commit" | "pulse" | "streams">

/**
 * A PermissionRequest: recorded like any hook, then, as the operator's policy says, answered by a pattern at
 * once, or held open as an approval until someone resolves it (allow or deny goes back to Claude Code), it
 * passes its deadline, or Claude Code stops waiting (its own prompt was answered). Those two withdraw the
 * approval and answer nothing, so Claude Code decides as it would without hive: nothing is allowed that
 * nobody allowed.
 */
async function answerPermission({ stores, commit, pulse, streams }: Deps, input: HookInput, signal: AbortSignal, terminalLeft: () => boolean) {
  const settings = permissionSettings((key) => stores.preferences.value(key))
  // The whole command for the approval, even one the event keeps slim.
  const call = toolCallOf(input)
  const first = await commit.run(() => {
    const { session } = recordHook(stores, slimInput(input), null, null)
    const plan = planFor(settings, call, session)
    if (plan.kind === "none" || plan.kind === "ask-later") return { session, plan, approval: undefined }
    const approval = openApproval(stores, session, call, settings.deadlineMs, { leftUnanswered: false })
    return { session, plan, approval: plan.kind === "allow" ? stores.broker.approvedBy(approval, `allowed by the pattern ${plan.pattern}`) : approval }
  })
  pulse.notify()
  if (first.plan.kind === "none" || first.plan.kind === "allow") return decisionFor(first.approval)
  let approval = first.approval
  if (first.plan.kind === "ask-later") {
    // Answered at the terminal in this time, Claude Code drops the request: nothing was opened, nothing to withdraw.
    await pause(first.plan.afterMs, signal)
    if (signal.aborted) return {}
    approval = await commit.run(() => openApproval(stores, stores.sessions.get(first.session.id), call, settings.deadlineMs, { leftUnanswered: true }))
    pulse.notify()
  }
  const open = approval!
  const settled = await longPoll(
    { pulse, ms: open.deadline_at! - Date.now(), signal },
    () => stores.broker.approval(open.id),
    (a) => a.status !== "pending",
  )
  if (settled.status !== "pending") return decisionFor(settled)
  const left = terminalLeft()
  const why = left
    ? "answered at Claude Code's own prompt, or Claude Code stopped waiting"
    : streams.shutdown?.aborted
      ? "hive stopped: Claude Code asks at its own prompt"
      : `no answer within ${Math.round(settings.deadlineMs / 1000)} s: Claude Code asks at its own prompt`
  const withdrawn = await commit.run(() => {
    const w = stores.broker.withdrawApproval(open.id, why)
    // Whoever answered at the terminal is there.
    if (w && left) stores.sessions.update(first.session.id, { unattended_since: null })
    return w
  })
  pulse.notify()
  // Resolved in the moment between the last look and the withdrawal: that answer stands.
  return withdrawn ? {} : decisionFor(stores.broker.approval(open.id))
}

export const hooks = (deps: Deps) => {
  const { stores, commit, pulse, streams } = deps
  return new Elysia({ name: "routes.hooks", prefix: "/hooks", detail: { tags: ["hooks"] } })
    .post(
      "/claude/http",
      async ({ body, request, server }) => {
        if (body.hook_event_name === "PermissionRequest") {
          holdOpen(server, request)
          return answerPermission(deps, body, waitSignal(request, streams.shutdown), () => request.signal.aborted)
        }
        // Nothing of the process is known to an http hook: the session keeps what SessionStart (a command hook) saw.
        await commit.run(() => recordHook(stores, slimInput(body), null, null))
        pulse.notify()
        // No decision: Claude Code goes on as it would without this hook.
        return {}
      },
      {
        body: RawInput,
        detail: {
          summary: "Record a hook Claude Code POSTs itself (an http hook)",
          description:
            'For Claude Code\'s `"type": "http"` hooks: the body is the hook\'s input as Claude Code sends it (up to HIVE_MAX_HOOK_BYTES, recorded slim). Answers `{}`: no decision, Claude Code carries on. A `PermissionRequest` may be held open as an approval (preference `permissions.policy`) and answered with Claude Code\'s allow or deny decision once it is resolved; on its deadline, `{}`.',
        },
      },
    )
    .post(
      "/claude",
      async ({ body, status }) => {
        const { caller, transport } = "parent_pid" in body ? hookCaller(body.parent_pid, body.terminal) : body
        const recorded = await commit.run(() => recordHook(stores, body.input, caller, transport))
        pulse.notify()
        return status(201, { session_id: recorded.session.id, event_id: recorded.event.id })
      },
      {
        body: HookBody,
        detail: {
          description:
            "Used by `hive hook`: registers or updates the session and appends the hook as an event. With `parent_pid` (a hook on the server's own machine), the server reads Claude Code's process from /proc, past the shell that ran the hook.",
        },
      },
    )
}
