import { describe, expect, test } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { testApp } from "../helpers"

// Claude Code's http hooks POST the hook's input itself; these are real payloads of Claude Code 2.1.197.
const REAL = join(import.meta.dir, "..", "fixtures", "claude-code")
const real = (folder: string, name: string) => JSON.parse(readFileSync(join(REAL, folder, `${name}-1.json`), "utf8"))

async function hooked(opts: Parameters<typeof testApp>[0] = {}) {
  const ctx = await testApp(opts)
  const { token } = await ctx.auth.issue("claude-hooks", 600_000, { scope: "hooks" })
  const post = async (input: unknown) => {
    const body = typeof input === "string" ? input : JSON.stringify(input)
    const res = await ctx.app.handle(
      new Request("http://localhost/api/hooks/claude/http", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
        body,
      }),
    )
    return { status: res.status, body: await res.json() }
  }
  return { ...ctx, post }
}

describe("http hooks", () => {
  test("a whole session through http hooks, with a hooks token: the session, its status, every event", async () => {
    const { post, stores, call } = await hooked()
    const sequence = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]
    for (const name of sequence) expect(await post(real("run-a", name)), name).toEqual({ status: 200, body: {} })
    const session = stores.sessions.byAgentSession("43dde135-ba21-493c-9156-212a4bc6ee77")!
    expect(session).toMatchObject({
      state: "ended",
      status: "idle",
      cwd: "/home/dev/work/proj",
      label: "proj",
      start_source: "startup",
      end_reason: "other",
      pid: null,
    })
    // Every hook as it came (the session's status changes are events of their own besides).
    const hooks = stores.events.since(0, { session_id: session.id }).filter((e) => e.kind !== "session.changed")
    expect(hooks.map((e) => e.kind)).toEqual(sequence.map((n) => `claude.${n}`))
    // The tool a hook is about is a column to filter on, not only a field of its payload.
    expect((await call("GET", `/api/events?session_id=${session.id}&tool_name=Bash`)).body.items.map((e: { kind: string }) => e.kind)).toEqual([
      "claude.PreToolUse",
      "claude.PostToolUse",
    ])
    // A call's two halves share its tool_use_id; a Notification says why it came.
    const pre = real("run-a", "PreToolUse")
    expect((await call("GET", `/api/events?tool_use_id=${pre.tool_use_id}`)).body.items.map((e: { kind: string }) => e.kind)).toEqual([
      "claude.PreToolUse",
      "claude.PostToolUse",
    ])
    for (const n of ["Notification-1", "Notification-2"])
      expect(await post(JSON.parse(readFileSync(join(REAL, "interactive", `${n}.json`), "utf8")))).toEqual({ status: 200, body: {} })
    const asked = (await call("GET", "/api/events?notification_type=permission_prompt")).body.items
    expect(asked.map((e: { kind: string; notification_type: string }) => [e.kind, e.notification_type])).toEqual([["claude.Notification", "permission_prompt"]])
  })

  test("a 1.2 MB Write (a 2.6 MB PostToolUse, over the API's 1 MiB body limit) is recorded slim", async () => {
    const { post, stores } = await hooked()
    const content = "line of text\n".repeat(Math.ceil(1_200_000 / 13))
    const input = {
      ...real("run-a", "PostToolUse"),
      tool_name: "Write",
      tool_input: { file_path: "/home/dev/work/proj/big.txt", content },
      tool_response: { filePath: "/home/dev/work/proj/big.txt", content },
    }
    expect(JSON.stringify(input).length).toBeGreaterThan(2_400_000)
    expect((await post(input)).status).toBe(200)
    const [event] = stores.events.since(0, { kind: "claude.PostToolUse" })
    expect(event!.payload).toMatchObject({
      tool_name: "Write",
      tool_input: { file_path: "/home/dev/work/proj/big.txt" },
      omitted: ["tool_input.content", "tool_response.content"],
    })
  })

  test("a subagent's hooks name it: events filter by subagent_id", async () => {
    const { post, call } = await hooked()
    for (const name of ["SessionStart", "UserPromptSubmit", "PreToolUse-2", "SubagentStop"]) {
      const [event, n] = name.includes("-") ? name.split("-") : [name, "1"]
      await post(JSON.parse(readFileSync(join(REAL, "subagent", `${event}-${n}.json`), "utf8")))
    }
    const items = (await call("GET", "/api/events?subagent_id=ad628a2ab2326fc1c")).body.items
    expect(items.map((e: { kind: string; tool_name: string | null }) => [e.kind, e.tool_name])).toEqual([
      ["claude.PreToolUse", "Bash"],
      ["claude.SubagentStop", null],
    ])
  })

  test("a fork through http hooks: its own row, pointing at the original, which stays ended", async () => {
    const { post, stores } = await hooked()
    for (const name of ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]) await post(real("resume", name))
    for (const name of ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]) await post(real("fork", name))
    const original = stores.sessions.byAgentSession("e912692f-ac08-4660-95a1-dcf0404f1920")!
    const fork = stores.sessions.byAgentSession("5795e778-d766-444d-b64b-32721bb2e69a")!
    expect(original).toMatchObject({ state: "ended", parent_session_id: null })
    expect(fork).toMatchObject({ state: "ended", parent_session_id: original.id, start_source: "fork" })
  })

  test("over its own limit (HIVE_MAX_HOOK_BYTES) an http hook is a 413", async () => {
    const { post } = await hooked({ maxHookBytes: 200_000 })
    const res = await post({ ...real("run-a", "PostToolUse"), tool_response: "x".repeat(300_000) })
    expect(res.status).toBe(413)
  })

  test("only a hooks or admin token; bad input is a 400, never a 500", async () => {
    const { post, app, auth } = await hooked()
    expect((await post({ hook_event_name: "Stop" })).status).toBe(400)
    expect((await post("not json")).status).toBe(400)
    const { token } = await auth.issue("dash", 600_000, { scope: "read" })
    const res = await app.handle(
      new Request("http://localhost/api/hooks/claude/http", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(real("run-a", "Stop")),
      }),
    )
    expect(res.status).toBe(403)
    // Without a token the body is never read, however big it says it is.
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++
        c.enqueue(new Uint8Array(64 * 1024).fill(32))
        if (pulled > 2000) c.close()
      },
    })
    const anonymous = await app.handle(
      new Request("http://localhost/api/hooks/claude/http", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: endless,
        duplex: "half",
      } as RequestInit),
    )
    expect(anonymous.status).toBe(401)
    expect(pulled).toBeLessThan(5)
  })
})
