// What this file imports is on the path of every hook a running server records (Claude Code waits for it):
// no node: module (the first costs a process about 2 ms) and nothing that imports one. The rest is loaded
// where needed: a big input, a server elsewhere, no server at all, someone at a terminal.
import * as Config from "../config"
import { UsageError } from "../errors"
import { nodeFs } from "../process"
import { runningServerNoFs } from "./server-lock"
import type { AdminClient } from "../client"
import type { HookInput } from "../hooks/record"

type HookPost = Parameters<AdminClient["api"]["hooks"]["claude"]["post"]>[0]

export const help = `Usage: hive hook [--home DIR]
       hive hook install [--project DIR] [--dry-run]   (see \`hive hook install --help\`)
       hive hook uninstall [--project DIR] [--dry-run]

For Claude Code's hooks: reads the hook's JSON on stdin and records it. SessionStart registers the
session (pid and start time of Claude Code, its cwd, its terminal: tmux, nvim or a tty); the other hooks
update its status (UserPromptSubmit, PreToolUse, PostToolUse: running; a Notification for a permission:
awaiting_input, for the idle prompt: idle; Stop: idle; SessionEnd: ended) and every hook is appended as
an event "claude.<EventName>", its big strings (a file's content, a tool's output) left out.

With HIVE_TOKEN set and a server running on the data home (or at HIVE_URL), it goes through the server
(live streams see it at once); otherwise it writes to the database directly. It never blocks or breaks Claude Code: on any
failure it exits 0 and writes one line to $HIVE_HOME/logs/hook.log.

\`hive hook install\` sets it up in ~/.claude/settings.json, keeping everything else there: SessionStart
runs \`hive hook\` (only a process learns Claude Code's pid and terminal); every other hook, PermissionRequest
included, is an http hook Claude Code posts to the running server itself. With --command-only every hook
runs \`hive hook\`, e.g.
  "SessionStart": [{ "hooks": [{ "type": "command", "command": "hive hook" }] }],
  "PreToolUse":   [{ "matcher": "*", "hooks": [{ "type": "command", "command": "hive hook" }] }]

Options:
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

// A Write of a big file makes a big hook input (a 1.2 MB file: 2.6 MB for PostToolUse); it is read whole and
// recorded slim (src/hooks/record.ts), so the event keeps the tool and the path without the content.
const MAX_INPUT_BYTES = 64 * 1024 * 1024
/** An input this small has nothing to slim (no field over record.ts's MAX_FIELD_BYTES). */
const SLIM_ABOVE_BYTES = 64 * 1024
const STDIN_TIMEOUT_MS = 2000
/** Claude Code writes the input at once: stdin silent this long may be a person at a terminal. */
const QUIET_MS = 100
const SERVER_TIMEOUT_MS = 1500
const LOG_MAX_BYTES = 1024 * 1024
async function readInput(): Promise<{ input: HookInput; bytes: number }> {
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = Bun.stdin.stream().getReader()
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      size += value.byteLength
      if (size > MAX_INPUT_BYTES) throw new Error(`hook input over ${MAX_INPUT_BYTES} bytes`)
      chunks.push(value)
    }
  })()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no end of input on stdin within ${STDIN_TIMEOUT_MS} ms`)), STDIN_TIMEOUT_MS)),
  )
  try {
    // Someone ran it by hand at a terminal: say how it is used instead of waiting (checked only then, it loads node:fs).
    const quiet = await Promise.race([
      reading.then(
        () => false,
        () => false,
      ),
      Bun.sleep(QUIET_MS).then(() => true),
    ])
    if (quiet && (await import("../hooks/caller")).stdinIsTerminal()) throw new UsageError(TERMINAL)
    await Promise.race([reading, timeout])
  } finally {
    clearTimeout(timer)
    // A stdin still open (stuck, or over the limit) must not keep the process alive after we give up on it.
    void reader.cancel().catch(() => {})
    reading.catch(() => {})
  }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Bun.concatArrayBuffers(chunks)))
  } catch {
    throw new Error("hook input is not JSON")
  }
  const v = value as Partial<HookInput> | null
  if (typeof v !== "object" || v === null || typeof v.session_id !== "string" || !v.session_id || typeof v.hook_event_name !== "string" || !v.hook_event_name)
    throw new Error("hook input lacks session_id or hook_event_name")
  if (v.session_id.length > 256 || v.hook_event_name.length > 64) throw new Error("hook input has an overlong session_id or hook_event_name")
  for (const k of ["cwd", "transcript_path"] as const)
    if (v[k] !== undefined && typeof v[k] !== "string") throw new Error(`hook input field ${k} is not a string`)
  return { input: v as HookInput, bytes: size }
}

const TERMINAL = "hive hook reads a Claude Code hook's JSON on stdin; see `hive hook --help` for the settings.json block"

/** One line in logs/hook.log (never the hook's input: it holds the user's prompts). */
function log(home: string, message: string) {
  try {
    const { appendFileSync, mkdirSync, renameSync, statSync } = nodeFs()
    const dir = `${home}/logs`
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const file = `${dir}/hook.log`
    try {
      if (statSync(file).size > LOG_MAX_BYTES) renameSync(file, `${file}.1`)
    } catch {}
    appendFileSync(file, `${new Date().toISOString()} ${message}\n`, { mode: 0o600 })
  } catch {
    // Nowhere to log: still never fail the hook.
  }
}

export async function run(argv: string[]): Promise<number> {
  // Loaded only for these: the hook itself (every event of every session) must stay small.
  if (argv[0] === "install" || argv[0] === "uninstall") return (await import("./hook-install")).run(argv)
  const code = await record(argv)
  // The hook's work is done once the server answered or the row committed: nothing may keep Claude Code
  // waiting after that (the client's kept-alive socket, stdin's reader would hold the process a while).
  process.exit(code)
}

/** The server of this data home. It reads Claude Code's process from /proc; elsewhere (ps) the hook does that. */
function localServer(home: string) {
  const found = runningServerNoFs(home)
  return found && { url: found.url, local: process.platform === "linux" }
}

async function record(argv: string[]): Promise<number> {
  // Claude Code passes no arguments: the parser (node:util, ~6 ms to load) only for someone who does.
  let values: { home?: string } = {}
  if (argv.length) {
    const { HOME_OPTION, noExtra, out, parse } = await import("./args")
    const parsed = parse("hive hook", argv, { ...HOME_OPTION })
    if (parsed.values.help) return (out(help), 0)
    noExtra("hive hook", parsed.positionals)
    values = parsed.values
  }
  let home = ""
  let event = "?"
  try {
    const config = Config.hookConfig({ home: values.home })
    home = config.home
    // HIVE_URL names the server; else the one serving this data home (its serve.pid), which runs on this
    // machine and reads Claude Code's process itself: the hook does not wait on /proc.
    const server = config.token ? (config.serverUrl ? { url: config.serverUrl, local: false } : localServer(config.home)) : undefined
    // Slim before it travels: the server's body limit is for requests, not for files Claude Code wrote.
    const read = await readInput()
    const input = read.bytes > SLIM_ABOVE_BYTES ? (await import("../hooks/record")).slimInput(read.input) : read.input
    event = input.hook_event_name
    if (server) {
      try {
        // A plain fetch, not the typed client: loading that costs every hook a few ms. The body's type is the route's.
        const body: HookPost = server.local
          ? { input, parent_pid: process.ppid, terminal: config.transportEnv }
          : { input, ...(await import("../hooks/caller")).hookCaller(process.ppid, config.transportEnv) }
        const res = await fetch(`${server.url.replace(/\/$/, "")}/api/hooks/claude`, {
          method: "POST",
          headers: { authorization: `Bearer ${config.token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(SERVER_TIMEOUT_MS),
        })
        if (res.status === 201) return 0
        const answer = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null
        const message = typeof answer?.error?.message === "string" ? answer.error.message : "no message"
        log(config.home, `${event}: the server answered ${res.status} (${message}); writing to the database instead`)
      } catch (err) {
        log(config.home, `${event}: the server did not answer (${(err as Error).message}); writing to the database instead`)
      }
    }
    const { caller, transport } = (await import("../hooks/caller")).hookCaller(process.ppid, config.transportEnv)
    // Loaded only without a server: the migrations and the stores are most of what this command would load.
    await (await import("./hook-local")).recordLocally(Config.load({ home: values.home }), input, caller, transport)
  } catch (err) {
    // Only a person at a terminal is told off (exit 2); anything else must never fail Claude Code's hook (exit 2
    // would block a tool call).
    if (err instanceof UsageError && err.message === TERMINAL) throw err
    if (home) log(home, `${event}: not recorded: ${(err as Error).message}`)
    else console.error(`hive hook: not recorded: ${(err as Error).message}`) // no data home to log in (a bad environment)
  }
  return 0
}
