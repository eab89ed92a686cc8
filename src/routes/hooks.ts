import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import * as Sessions from "../db/sessions"
import { recordHook, slimInput } from "../hooks/record"
import { Body, Int, Json, Nullable, OneOf, Pid, Text } from "./schemas"

// What `hive hook` sends when a server runs: Claude Code's hook input as it came, and what the CLI saw of
// the process that ran it (the server cannot see that process).
const HookBody = Body({
  input: t.Object(
    { session_id: Text(256, 1), hook_event_name: Text(64, 1), transcript_path: t.Optional(Text(4096)), cwd: t.Optional(Text(4096)) },
    { additionalProperties: true },
  ),
  caller: Body({ pid: Pid(1), ppid: Nullable(Pid(0)), start_time: Nullable(Int({ minimum: 0 })), tty: Nullable(Text(256)) }),
  transport: Body({ kind: OneOf(Sessions.TRANSPORTS), details: Json }),
})

/** Claude Code's own hook input, as its http hooks POST it. */
const RawInput = t.Object(
  { session_id: Text(256, 1), hook_event_name: Text(64, 1), transcript_path: t.Optional(Text(4096)), cwd: t.Optional(Text(4096)) },
  { additionalProperties: true, description: "the hook's input, exactly as Claude Code sends it" },
)

const HTTP_HOOK = /^\/api\/hooks\/claude\/http(\?|$)/
/** An http hook's request: its body may be far over the API's body limit (HIVE_MAX_HOOK_BYTES). */
export const isHookInput = (request: Request) => request.method === "POST" && HTTP_HOOK.test(request.url.slice(request.url.indexOf("/", 8)))

export const hooks = ({ stores, commit, pulse }: Pick<Hive, "stores" | "commit" | "pulse">) =>
  new Elysia({ name: "routes.hooks", prefix: "/hooks", detail: { tags: ["hooks"] } })
    .post(
      "/claude/http",
      async ({ body }) => {
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
            'For Claude Code\'s `"type": "http"` hooks: the body is the hook\'s input as Claude Code sends it (up to HIVE_MAX_HOOK_BYTES, recorded slim). Answers `{}`: no decision, Claude Code carries on.',
        },
      },
    )
    .post(
      "/claude",
      async ({ body, status }) => {
        const recorded = await commit.run(() => recordHook(stores, body.input, body.caller, body.transport))
        pulse.notify()
        return status(201, { session_id: recorded.session.id, event_id: recorded.event.id })
      },
      { body: HookBody, detail: { description: "Used by `hive hook`: registers or updates the session and appends the hook as an event." } },
    )
