import { afterAll, expect, test } from "bun:test"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN, tempDir } from "../helpers"
import { startMockAnthropic } from "./mock-anthropic"

// The real Claude Code CLI with hive's hooks as `hive hook install` writes them: SessionStart a command,
// every other hook an http hook to the running server with a hooks-scoped token.
const CLAUDE = process.env.CLAUDE_PATH
if (!CLAUDE) throw new Error("CLAUDE_PATH is not set: run these tests with `make test-claude`")

const env = cliEnv()
const mock = startMockAnthropic()
const home = tempDir("hive-claude-home-")
const work = tempDir("hive-claude-work-")
const bin = tempDir("hive-bin-")
const server = await startServer(["bun", MAIN], env)
afterAll(() => {
  server.proc.kill("SIGTERM")
  mock.stop()
})

// `hive` on PATH, as a user has it; each run of it is counted, to tell command hooks from http ones.
const runs = join(bin, "runs")
writeFileSync(join(bin, "hive"), `#!/bin/sh\necho "$*" >> ${runs}\nexec bun ${MAIN} "$@"\n`)
chmodSync(join(bin, "hive"), 0o755)

test("a claude -p session with a tool call, recorded whole through http hooks; one process (SessionStart) in all", async () => {
  const token = (await hive(["token", "create", "--name", "claude-hooks", "--scope", "hooks"], env)).stdout.trim()
  const claudeEnv = {
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: home,
    HIVE_HOME: env.HIVE_HOME,
    HIVE_TOKEN: token,
    ANTHROPIC_BASE_URL: mock.url,
    ANTHROPIC_API_KEY: "sk-ant-fake",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  }
  const installed = await hive(["hook", "install", "--command", `${join(bin, "hive")} hook`, "--url", server.url], { ...claudeEnv, CLAUDE_CONFIG_DIR: "" })
  expect(installed.code).toBe(0)
  expect(existsSync(join(home, ".claude", "settings.json"))).toBe(true)
  writeFileSync(runs, "")

  const proc = Bun.spawn([CLAUDE!, "-p", "BASH-MARKER: print a greeting", "--allowedTools", "Bash"], {
    cwd: work,
    env: claudeEnv,
    stdout: "pipe",
    stderr: "pipe",
  })
  const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
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
