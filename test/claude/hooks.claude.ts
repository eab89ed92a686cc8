import { expect, test } from "bun:test"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { hive, MAIN, tempDir } from "../helpers"
import { claudeHarness } from "./harness"

// The real Claude Code CLI with hive's hooks as `hive hook install` writes them: SessionStart a command,
// every other hook an http hook to the running server with a hooks-scoped token.
const { env, home, work, server, claudeEnv, claude } = await claudeHarness()
const bin = tempDir("hive-bin-")

// `hive` on PATH, as a user has it; each run of it is counted, to tell command hooks from http ones.
const runs = join(bin, "runs")
writeFileSync(join(bin, "hive"), `#!/bin/sh\necho "$*" >> ${runs}\nexec bun ${MAIN} "$@"\n`)
chmodSync(join(bin, "hive"), 0o755)

test("a claude -p session with a tool call, recorded whole through http hooks; one process (SessionStart) in all", async () => {
  const token = (await hive(["token", "create", "--name", "claude-hooks", "--scope", "hooks"], env)).stdout.trim()
  const hookEnv = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, HIVE_HOME: env.HIVE_HOME, HIVE_TOKEN: token }
  const installed = await hive(["hook", "install", "--command", `${join(bin, "hive")} hook`, "--url", server.url], {
    ...claudeEnv(hookEnv),
    CLAUDE_CONFIG_DIR: "",
  })
  expect(installed.code).toBe(0)
  expect(existsSync(join(home, ".claude", "settings.json"))).toBe(true)
  writeFileSync(runs, "")

  const { code, stdout, stderr } = await claude(["-p", "BASH-MARKER: print a greeting", "--allowedTools", "Bash"], hookEnv)
  expect(code, stderr).toBe(0)
  expect(stdout).toContain("Tool said: hello-from-tool")

  const admin = (await hive(["token", "create", "--name", "check"], env)).stdout.trim()
  const get = async (path: string) => (await (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as any
  const [session] = (await get(`/api/sessions?limit=10`)).items
  expect(session).toMatchObject({ state: "ended", cwd: work, start_source: "startup" })
  expect(session.pid).toBeGreaterThan(1)
  const kinds = (await get(`/api/events?session_id=${session.id}&limit=100`)).items.map((e: { kind: string }) => e.kind)
  for (const kind of ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"]) expect(kinds).toContain(`claude.${kind}`)
  const pre = (await get(`/api/events?session_id=${session.id}&kind=claude.PreToolUse`)).items[0]
  expect(pre.payload).toMatchObject({ tool_name: "Bash", tool_input: { command: "echo hello-from-tool" } })
  // Only SessionStart started a process; every other hook was a request to the server.
  expect(readFileSync(runs, "utf8").trim().split("\n")).toEqual(["hook"])
}, 180_000)

const admin = (await hive(["token", "create", "--name", "check"], env)).stdout.trim()
const get = async (path: string) => (await (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as any
const hooksToken = (await hive(["token", "create", "--name", "claude-hooks-2", "--scope", "hooks"], env)).stdout.trim()
const runEnv = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, HIVE_HOME: env.HIVE_HOME, HIVE_TOKEN: hooksToken }

test("a fork (--resume X --fork-session) gets its own row pointing at X, and X stays ended", async () => {
  const first = await claude(["-p", "hello", "--output-format", "json"], runEnv)
  expect(first.code, first.stderr).toBe(0)
  const original = JSON.parse(first.stdout).session_id as string
  const fork = await claude(["-p", "again", "--resume", original, "--fork-session", "--output-format", "json"], runEnv)
  expect(fork.code, fork.stderr).toBe(0)
  const forked = JSON.parse(fork.stdout).session_id as string
  expect(forked).not.toBe(original)
  const parent = (await get(`/api/sessions?agent_session_id=${original}`)).items[0]
  const child = (await get(`/api/sessions?agent_session_id=${forked}`)).items[0]
  expect(parent).toMatchObject({ state: "ended" })
  expect(child).toMatchObject({ parent_session_id: parent.id, start_source: "fork", state: "ended" })
}, 180_000)

test("a 1.2 MB Write is recorded slim: the tool and the path kept, the content left out", async () => {
  const file = join(work, "big.txt")
  const { code, stderr } = await claude(["-p", `WRITE-MARKER path=${file}`, "--allowedTools", "Write"], runEnv)
  expect(code, stderr).toBe(0)
  expect(readFileSync(file, "utf8").length).toBe(1_200_000)
  const pre = (await get("/api/events?kind=claude.PreToolUse&tool_name=Write")).items[0]
  expect(pre.payload.tool_input).toEqual({ file_path: file })
  expect(pre.payload.omitted).toContain("tool_input.content")
  const post = (await get("/api/events?kind=claude.PostToolUse&tool_name=Write")).items[0]
  expect(post.tool_use_id).toBe(pre.tool_use_id)
  expect(JSON.stringify(post.payload).length).toBeLessThan(300_000)
}, 180_000)
