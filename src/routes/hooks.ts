import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import * as Sessions from "../db/sessions"
import { recordHook } from "../hooks/record"
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

export const hooks = ({ stores, commit, pulse }: Pick<Hive, "stores" | "commit" | "pulse">) =>
  new Elysia({ name: "routes.hooks", prefix: "/hooks", detail: { tags: ["hooks"] } }).post(
    "/claude",
    async ({ body, status }) => {
      const recorded = await commit.run(() => recordHook(stores, body.input, body.caller, body.transport))
      pulse.notify()
      return status(201, { session_id: recorded.session.id, event_id: recorded.event.id })
    },
    { body: HookBody, detail: { description: "Used by `hive hook`: registers or updates the session and appends the hook as an event." } },
  )
