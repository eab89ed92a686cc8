import type { Config } from "../config"
import { selfCommand } from "../process"

type Home = Pick<Config, "home" | "masterKey">

/**
 * Runs this hive's CLI in a child process on the server's own data home and master key (the ones it was
 * started with, whatever flags or variables chose them), for work the CLI already does and that must not
 * run on the server's thread: the doctor, an export, an import, a restore's checks.
 */
export function spawnCli(config: Home, args: string[], opts: { timeoutMs?: number; stderr?: "pipe" | "ignore" } = {}) {
  return Bun.spawn([...selfCommand(), ...args, "--home", config.home], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: opts.stderr ?? "pipe",
    timeout: opts.timeoutMs,
    env: { ...process.env, HIVE_MASTER_KEY: config.masterKey.base64 ?? "", HIVE_MASTER_KEY_FILE: config.masterKey.file },
  })
}

/**
 * A CLI run to its end: what it printed, its exit code, and `reason`, the last line of stderr without its
 * "hive: " prefix (what it says to a person when it refuses). `stderr` reads that stream as it comes, when the
 * caller follows it (an import's progress); it answers the text that is left.
 */
export async function runCli(
  config: Home,
  args: string[],
  opts: { timeoutMs?: number; stderr?: (stream: ReadableStream<Uint8Array>) => Promise<string> } = {},
) {
  const proc = spawnCli(config, args, { timeoutMs: opts.timeoutMs })
  const stderrStream = proc.stderr as ReadableStream<Uint8Array>
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    opts.stderr ? opts.stderr(stderrStream) : new Response(stderrStream).text(),
    proc.exited,
  ])
  const reason = (stderr.trim().split("\n").at(-1) ?? "").replace(/^hive: /, "").slice(0, 500)
  return { stdout, stderr, code, reason }
}
