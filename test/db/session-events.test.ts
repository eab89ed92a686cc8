import { expect, test } from "bun:test"
import { testApp } from "../helpers"

test("a session that appears, changes status or state, or goes is a session.changed event; other changes are not", async () => {
  const { call, stores } = await testApp()
  const changes = () => stores.events.since(0, { kind: "session.changed" }).map((e) => [e.session_id, e.payload])
  const s = (await call("POST", "/api/sessions", { agent_session_id: "cc-ev", name: "a", status: "running" })).body
  await call("PATCH", `/api/sessions/${s.id}`, { label: "renamed" })
  await call("PATCH", `/api/sessions/${s.id}`, { status: "running" })
  await call("PATCH", `/api/sessions/${s.id}`, { status: "awaiting_input" })
  stores.sessions.markDead(s.id)
  stores.sessions.markDead(s.id) // already dead: nothing changes, nothing is said
  const gone = (await call("POST", "/api/sessions", { agent_session_id: "cc-gone", name: "b" })).body
  expect((await call("DELETE", `/api/sessions/${gone.id}`)).status).toBe(204)
  expect(changes()).toEqual([
    [s.id, { status: "running", state: "active" }],
    [s.id, { status: "awaiting_input", state: "active" }],
    [s.id, { status: "awaiting_input", state: "dead" }],
    [gone.id, { status: "idle", state: "active" }],
    [null, { id: gone.id, state: "removed" }],
  ])
  // A hook's status change is one too, beside the hook's own event.
  await call("POST", "/api/hooks/claude/http", { session_id: "cc-hook", hook_event_name: "UserPromptSubmit", prompt: "hi" })
  const hooked = stores.sessions.byAgentSession("cc-hook")!
  expect(stores.events.since(0, { session_id: hooked.id }).map((e) => e.kind)).toEqual(["session.changed", "claude.UserPromptSubmit"])
})
