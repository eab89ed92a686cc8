import { afterAll } from "bun:test"
import { startServer } from "../cli/serve-helper"
import { cliEnv, MAIN, tempDir } from "../helpers"
import { startMockAnthropic } from "./mock-anthropic"

/**
 * What every Claude Code test needs: a running `hive serve` on a data home of its own, the mock Messages API,
 * a HOME and a working folder for Claude Code, and a way to run the real CLI (make test-claude sets CLAUDE_PATH)
 * offline against the mock. Everything stops when the file's tests end.
 */
export async function claudeHarness() {
  const claudePath = process.env.CLAUDE_PATH
  if (!claudePath) throw new Error("CLAUDE_PATH is not set: run these tests with `make test-claude`")
  const env = cliEnv()
  const mock = startMockAnthropic()
  const home = tempDir("hive-claude-home-")
  const work = tempDir("hive-claude-work-")
  const server = await startServer(["bun", MAIN], env)
  afterAll(() => {
    server.proc.kill("SIGTERM")
    mock.stop()
  })
  /** The environment Claude Code runs in: only what it needs, so nothing of the test's own leaks in. */
  const claudeEnv = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    ANTHROPIC_BASE_URL: mock.url,
    ANTHROPIC_API_KEY: "sk-ant-fake",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    ...extra,
  })
  async function claude(args: string[], extra: Record<string, string> = {}, timeoutMs = 90_000) {
    const proc = Bun.spawn([claudePath!, ...args], { cwd: work, env: claudeEnv(extra), stdout: "pipe", stderr: "pipe" })
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs)
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    clearTimeout(timer)
    return { code, stdout, stderr }
  }
  return { env, mock, home, work, server, claudeEnv, claude }
}
