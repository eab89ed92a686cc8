import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { processInfo, sameProcess } from "../../src/process"
import * as Config from "../../src/config"
import { resolve } from "node:path"
import { detectTransport } from "../../src/hooks/caller"
import { checkSessions } from "../../src/jobs/liveness"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN, testApp } from "../helpers"

const FIXTURES = join(import.meta.dir, "..", "fixtures", "hooks")
/** Real payloads of Claude Code 2.1.197 (a copy of ../shared/fixtures/claude-code, see its README). */
const REAL = join(import.meta.dir, "..", "fixtures", "claude-code")
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.json`), "utf8")
const SESSION = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

function rows(home: string) {
  const db = new Database(join(home, "hive.db"), { readonly: true })
  const session = db
    .query("SELECT id, status, state, pid, start_time, cwd, label, transcript_path, transport_kind, transport_details FROM sessions WHERE agent_session_id = ?")
    .get(SESSION) as Record<string, unknown>
  const events = db.query("SELECT kind, payload FROM events ORDER BY id").all() as { kind: string; payload: string }[]
  db.close()
  return { session, events }
}

describe("hive hook", () => {
  test("every hook event is recorded: the session is registered, its status follows, each hook is an event", async () => {
    const env = cliEnv()
    const steps: [string, string, string][] = [
      ["SessionStart", "idle", "active"],
      ["UserPromptSubmit", "running", "active"],
      ["PreToolUse", "running", "active"],
      ["PostToolUse", "running", "active"],
      ["Notification", "awaiting_input", "active"],
      ["SubagentStop", "awaiting_input", "active"],
      ["Stop", "idle", "active"],
      ["PreCompact", "idle", "active"],
      ["SessionEnd", "idle", "ended"],
    ]
    for (const [name, status, state] of steps) {
      const r = await hive(["hook"], env, fixture(name))
      expect(r, name).toEqual({ code: 0, stdout: "", stderr: "" })
      expect(rows(env.HIVE_HOME).session, name).toMatchObject({ status, state })
    }
    const { session, events } = rows(env.HIVE_HOME)
    expect(session).toMatchObject({ cwd: "/home/dev/shop", label: "shop", transcript_path: `/home/dev/.claude/projects/-home-dev-shop/${SESSION}.jsonl` })
    expect(session.pid).toBeGreaterThan(1)
    expect(events.map((e) => e.kind)).toEqual(steps.map(([n]) => `claude.${n}`))
    expect(JSON.parse(events[1]!.payload)).toMatchObject({ prompt: "Add a checkout button to the cart page" })
    // A tool's whole output is left out of the event and named instead.
    const post = JSON.parse(events[3]!.payload)
    expect(post.omitted).toEqual(["tool_response.file.content"])
    expect(post.tool_response).toEqual({ type: "text", file: {} })
    expect(post.tool_name).toBe("Read")
    expect(existsSync(join(env.HIVE_HOME, "logs", "hook.log"))).toBe(false)
  })

  test("Claude Code 2.1.197's own hooks: the status follows tools and notification types", async () => {
    const env = cliEnv()
    const real = (name: string) => readFileSync(join(REAL, "interactive", `${name}.json`), "utf8")
    const id = JSON.parse(real("SessionStart-1")).session_id
    const status = () => {
      const db = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
      const row = db.query("SELECT status FROM sessions WHERE agent_session_id = ?").get(id) as { status: string }
      db.close()
      return row.status
    }
    const steps: [string, string][] = [
      ["SessionStart-1", "idle"],
      ["UserPromptSubmit-1", "running"],
      // Claude Code asks for a permission: the session awaits its user.
      ["Notification-1", "awaiting_input"],
      // Granted: the tool runs, and the agent works on.
      ["PreToolUse-1", "running"],
      ["PostToolUse-1", "running"],
      ["Stop-1", "idle"],
      // "Claude is waiting for your input": the idle prompt, not a question.
      ["Notification-2", "idle"],
    ]
    for (const [name, expected] of steps) {
      expect((await hive(["hook"], env, real(name))).code).toBe(0)
      expect(status(), name).toBe(expected)
    }
  })

  test("a fork gets its own row pointing at its parent, and the original, cleanly ended, stays ended", async () => {
    const env = cliEnv()
    const run = async (folder: string, names: string[]) => {
      for (const name of names) expect((await hive(["hook"], env, readFileSync(join(REAL, folder, `${name}-1.json`), "utf8"))).code).toBe(0)
    }
    const sequence = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]
    // The original session (here resumed once), run to its end; then `claude --resume <it> --fork-session`.
    await run("resume", sequence)
    await run("fork", sequence)
    const db = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
    const byAgent = (id: string) =>
      db
        .query("SELECT id, state, status, parent_session_id, start_source, end_reason, permission_mode FROM sessions WHERE agent_session_id = ?")
        .get(id) as Record<string, unknown>
    const original = byAgent("e912692f-ac08-4660-95a1-dcf0404f1920")
    const fork = byAgent("5795e778-d766-444d-b64b-32721bb2e69a")
    db.close()
    expect(original).toMatchObject({ state: "ended", status: "idle", parent_session_id: null, end_reason: "other" })
    expect(fork).toMatchObject({
      state: "ended",
      parent_session_id: original.id,
      start_source: "fork",
      end_reason: "other",
      permission_mode: "bypassPermissions",
    })
  })

  test("a Write of a 1.2 MB file is recorded slim: the tool and the path stay, the content is left out and named", async () => {
    const env = cliEnv()
    const content = "line of text\n".repeat(Math.ceil(1_200_000 / 13))
    const input = { ...JSON.parse(fixture("PreToolUse")), tool_name: "Write", tool_input: { file_path: "/home/dev/shop/big.txt", content } }
    const post = {
      ...input,
      hook_event_name: "PostToolUse",
      tool_response: { type: "create", filePath: "/home/dev/shop/big.txt", content, structuredPatch: [] },
    }
    for (const payload of [input, post]) expect(await hive(["hook"], env, JSON.stringify(payload))).toEqual({ code: 0, stdout: "", stderr: "" })
    const { events } = rows(env.HIVE_HOME)
    const [pre, after] = events.map((e) => JSON.parse(e.payload))
    expect(pre).toMatchObject({ tool_name: "Write", tool_input: { file_path: "/home/dev/shop/big.txt" }, omitted: ["tool_input.content"] })
    expect(after).toMatchObject({ tool_response: { filePath: "/home/dev/shop/big.txt" }, omitted: ["tool_input.content", "tool_response.content"] })
    for (const e of events) expect(e.payload.length).toBeLessThan(64 * 1024)
    expect(existsSync(join(env.HIVE_HOME, "logs", "hook.log"))).toBe(false)
  })

  test("it never breaks Claude Code: bad input or an unusable home exits 0 and leaves a line in the log", async () => {
    const env = cliEnv()
    for (const input of ["garbage", "{}", '{"session_id":"x"}', "[1,2]", JSON.stringify({ session_id: 5, hook_event_name: "Stop" }), ""]) {
      const r = await hive(["hook"], env, input)
      expect(r, input).toEqual({ code: 0, stdout: "", stderr: "" })
    }
    const log = readFileSync(join(env.HIVE_HOME, "logs", "hook.log"), "utf8")
      .trim()
      .split("\n")
    expect(log).toHaveLength(6)
    expect(log[0]).toContain("not recorded: hook input is not JSON")
    expect(log[2]).toContain("lacks session_id or hook_event_name")
    // A stdin that never ends (a stuck pipe) is given up on after 2 s.
    const stuck = Bun.spawn(["bun", MAIN, "hook"], { env: { ...process.env, ...env }, stdin: "pipe", stdout: "pipe", stderr: "pipe" })
    stuck.stdin.write('{"session_id":')
    const code = await Promise.race([stuck.exited, Bun.sleep(6000).then(() => "hung")])
    if (code === "hung") stuck.kill("SIGKILL")
    expect(code).toBe(0)
    expect(readFileSync(join(env.HIVE_HOME, "logs", "hook.log"), "utf8")).toContain("no end of input on stdin within 2000 ms")
    const unusable = await hive(["hook"], { ...env, HIVE_HOME: "/proc/hive-cannot-be-here" }, fixture("Stop"))
    expect(unusable.code).toBe(0)
    expect(unusable.stdout).toBe("")
    // A bad setting is no reason to fail the hook either (exit 2 would block Claude Code's tool call).
    const misconfigured = await hive(["hook"], { ...env, HIVE_LOG_LEVEL: "loud" }, fixture("PreToolUse"))
    expect(misconfigured).toMatchObject({ code: 0, stderr: "" })
    // The data home is known before the setting is read: the hook's log says what is wrong.
    expect(readFileSync(join(env.HIVE_HOME, "logs", "hook.log"), "utf8")).toContain("PreToolUse: not recorded: HIVE_LOG_LEVEL must be one of")
  })

  test("with a token and a running server it goes through the server; a refused token falls back to the database", async () => {
    const env = cliEnv()
    const token = (await hive(["token", "create", "--name", "hooks"], env)).stdout.trim()
    const server = await startServer(["bun", MAIN], env)
    try {
      expect((await hive(["hook"], { ...env, HIVE_TOKEN: token }, fixture("SessionStart"))).code).toBe(0)
      const list = (await (
        await fetch(`${server.url}/api/sessions?agent_session_id=${SESSION}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { items: { status: string }[] }
      expect(list.items).toHaveLength(1)
      expect(existsSync(join(env.HIVE_HOME, "logs", "hook.log"))).toBe(false)
      expect((await hive(["hook"], { ...env, HIVE_TOKEN: "not-a-token" }, fixture("UserPromptSubmit"))).code).toBe(0)
      expect(readFileSync(join(env.HIVE_HOME, "logs", "hook.log"), "utf8")).toContain("UserPromptSubmit: the server answered 401")
      expect(rows(env.HIVE_HOME).session.status).toBe("running")
      expect(readFileSync(join(env.HIVE_HOME, "logs", "hook.log"), "utf8")).not.toContain("not-a-token")
    } finally {
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
  })

  test("the caller is Claude Code's process past the shell, whether the server, the hook or the database records it", async () => {
    const env = cliEnv()
    const token = (await hive(["token", "create", "--name", "hooks"], env)).stdout.trim()
    const me = processInfo(process.pid)!
    const terminal = { TMUX: "/tmp/tmux-1000/default,4242,0", TMUX_PANE: "%7" }
    // As Claude Code runs a command hook: through a shell, which (with a command after it) stays the hook's parent.
    const viaShell = async (sessionId: string, extra: Record<string, string>) => {
      const input = JSON.stringify({ session_id: sessionId, hook_event_name: "SessionStart", cwd: "/tmp", source: "startup" })
      const proc = Bun.spawn(["sh", "-c", `bun ${MAIN} hook; true`], {
        env: { ...process.env, ...env, ...terminal, ...extra },
        stdin: new TextEncoder().encode(input),
        stdout: "pipe",
        stderr: "pipe",
      })
      expect(await proc.exited).toBe(0)
      const db = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
      const row = db.query("SELECT pid, ppid, start_time, transport_kind, transport_details FROM sessions WHERE agent_session_id = ?").get(sessionId)
      db.close()
      return row as { pid: number; ppid: number; start_time: number; transport_kind: string; transport_details: string }
    }
    const expected = { pid: process.pid, ppid: me.ppid, start_time: me.start_time, transport_kind: "tmux" }
    const server = await startServer(["bun", MAIN], env)
    try {
      // Found through serve.pid: the server reads the process itself.
      const local = await viaShell("caller-local", { HIVE_TOKEN: token })
      // Named by HIVE_URL (it may be elsewhere): the hook reads it and sends what it saw.
      const named = await viaShell("caller-named", { HIVE_TOKEN: token, HIVE_URL: server.url })
      for (const row of [local, named]) {
        expect(row).toMatchObject(expected)
        expect(JSON.parse(row.transport_details)).toMatchObject({ tmux_socket: "/tmp/tmux-1000/default", tmux_pane: "%7" })
      }
    } finally {
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
    // No server: the hook writes the same to the database.
    expect(await viaShell("caller-offline", { HIVE_TOKEN: token })).toMatchObject(expected)
    expect(existsSync(join(env.HIVE_HOME, "logs", "hook.log"))).toBe(false)
  })

  test("the hook finds the same data home as every other command, without node:path for a plain absolute one", () => {
    for (const home of [
      "/home/dev/.hive",
      "/home/dev/.hive/",
      "/home//dev/.hive",
      "/home/dev/../dev/.hive",
      "/home/./dev",
      "relative/home",
      "/",
      "/a/b..c/.d",
    ]) {
      expect(Config.absolutePath(home), home).toBe(resolve(home))
      expect(Config.hookConfig({}, { HIVE_HOME: home }).home, home).toBe(Config.load({}, { HIVE_HOME: home, HOME: "/h" }).home)
    }
    expect(Config.hookConfig({}, { HOME: "/home/dev/" }).home).toBe("/home/dev/.hive")
    expect(Config.hookConfig({ home: "x" }, { HIVE_HOME: "/elsewhere" }).home).toBe(resolve("x"))
  })

  test("its help carries the settings.json block to paste", async () => {
    expect((await hive(["hook", "--help"], cliEnv())).stdout).toContain("settings.json")
  })
})

describe("transport detection", () => {
  test("tmux, then nvim, then a tty, else unknown", () => {
    expect(detectTransport({ TMUX: "/tmp/tmux-1000/default,4242,0", TMUX_PANE: "%5" }, "/dev/pts/3")).toEqual({
      kind: "tmux",
      details: { tmux_socket: "/tmp/tmux-1000/default", tmux_pane: "%5", tty: "/dev/pts/3" },
    })
    expect(detectTransport({ TMUX: "/tmp/tmux-1000/default,1,0" }, null).kind).toBe("unknown") // no pane: not inside a pane
    expect(detectTransport({ NVIM: "/tmp/nvimXXXX/0" }, "/dev/pts/12")).toEqual({
      kind: "nvim",
      details: { nvim_socket: "/tmp/nvimXXXX/0", instance_name: "/dev/pts/12" },
    })
    expect(detectTransport({}, "/dev/pts/7")).toEqual({ kind: "pty", details: { tty: "/dev/pts/7" } })
    expect(detectTransport({}, null)).toEqual({ kind: "unknown", details: {} })
  })
})

describe("liveness", () => {
  test("a process's start time is read from the system, to the second", () => {
    const info = processInfo(process.pid)!
    expect(info.ppid).toBe(process.ppid)
    expect(Math.abs(info.start_time - (Date.now() - process.uptime() * 1000))).toBeLessThan(2000)
    expect(processInfo(2 ** 22 + 12345)).toBeUndefined()
  })

  test("a gone process or a recycled pid marks the session dead; a live one stays; past expires_at is expired", async () => {
    const { stores } = await testApp()
    const me = processInfo(process.pid)!
    const child = Bun.spawn(["sleep", "30"])
    const childStart = processInfo(child.pid)!.start_time
    const live = stores.sessions.create({ pid: process.pid, start_time: me.start_time })
    const recycled = stores.sessions.create({ pid: child.pid, start_time: childStart - 3_600_000 }) // same pid, another program
    const gone = stores.sessions.create({ pid: 2 ** 22 + 12345, start_time: 1 })
    const expiring = stores.sessions.create({ expires_at: Date.now() - 1 })
    try {
      expect(sameProcess(child.pid, childStart)).toBe(true)
      expect(checkSessions(stores.sessions, Date.now())).toBe(3)
    } finally {
      child.kill("SIGKILL")
    }
    const state = (id: string) => stores.sessions.get(id).state
    expect([state(live.id), state(recycled.id), state(gone.id), state(expiring.id)]).toEqual(["active", "dead", "dead", "expired"])
    expect(checkSessions(stores.sessions, Date.now())).toBe(0) // dead and expired sessions are not checked again
  })
})
