import { afterAll } from "bun:test"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
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
  /**
   * An interactive `claude` in a tmux of its own (Debian's tmux, a private socket), as a person runs it: past
   * the first-run screens (onboarding done, the API key and the folder trusted, in ~/.claude.json).
   */
  async function interactive(extra: Record<string, string> = {}) {
    const socket = join(tempDir("hive-tmux-"), "sock")
    writeFileSync(
      join(home, ".claude.json"),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: "dark",
        customApiKeyResponses: { approved: ["sk-ant-fake".slice(-20)] },
        projects: { [work]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      }),
    )
    // tmux runs the command with its server's environment: the script sets exactly Claude Code's own.
    const script = join(tempDir("hive-claude-run-"), "run.sh")
    const exports = Object.entries({ ...claudeEnv(extra), TERM: "xterm-256color" })
      .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
      .join("\n")
    writeFileSync(script, `#!/bin/sh\n${exports}\ncd ${JSON.stringify(work)}\nexec ${JSON.stringify(claudePath)}\n`, { mode: 0o755 })
    const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-S", socket, ...args], { stdout: "pipe", stderr: "pipe" })
    const started = tmux("new-session", "-d", "-s", "claude", "-x", "160", "-y", "50", script)
    if (started.exitCode !== 0) throw new Error(`tmux did not start: ${started.stderr.toString()}`)
    // By pid, not by socket: the socket's folder may be cleaned up before this runs, and a tmux server left
    // behind keeps Claude Code running.
    const pids = tmux("display-message", "-p", "-t", "claude", "#{pid} #{pane_pid}").stdout.toString().trim().split(" ").map(Number)
    afterAll(() => {
      for (const pid of pids.reverse())
        try {
          process.kill(pid, "SIGKILL")
        } catch {}
    })
    const screen = () => tmux("capture-pane", "-p", "-t", "claude").stdout.toString()
    /** Waits until the pane shows `what` (a string or a pattern); fails with the screen when it never does. */
    const shows = async (what: string | RegExp, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const text = screen()
        if (typeof what === "string" ? text.includes(what) : what.test(text)) return text
        if (Date.now() > deadline) throw new Error(`the pane never showed ${what}:\n${text}`)
        await Bun.sleep(100)
      }
    }
    /** Types a prompt at Claude Code's input, as a person would, and submits it. */
    const type = async (text: string) => {
      tmux("send-keys", "-t", "claude", "-l", text)
      await Bun.sleep(300)
      tmux("send-keys", "-t", "claude", "Enter")
    }
    const keys = (...k: string[]) => void tmux("send-keys", "-t", "claude", ...k)
    return { socket, screen, shows, type, keys }
  }
  return { env, mock, home, work, server, claudeEnv, claude, interactive }
}
