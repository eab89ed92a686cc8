import type { Session } from "../db/sessions"
import { conflict } from "../errors"

/** What typing into a session did. */
export type Typed = { transport: "tmux" | "nvim"; chars: number; enter: boolean }

const TIMEOUT_MS = 5000

async function run(argv: string[]): Promise<void> {
  let proc: ReturnType<typeof Bun.spawn>
  try {
    proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe" })
  } catch {
    throw conflict(`${argv[0]} is not installed here: hive cannot type into the session`)
  }
  const timer = setTimeout(() => proc.kill("SIGKILL"), TIMEOUT_MS)
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr as ReadableStream).text()])
  clearTimeout(timer)
  if (code !== 0) throw conflict(`${argv[0]} could not type into the session: ${stderr.trim().split("\n")[0] || `exit code ${code}`}`)
}

/** nvim's key notation: `<` starts a key name, so a literal one is `<lt>`; a newline is Enter. */
const nvimKeys = (text: string) => text.replaceAll("<", "<lt>").replaceAll("\n", "<CR>")

/** How a reply gets into a session's terminal: the commands to run, and what they type. */
export type Typing = { typed: Typed; commands: string[][] }

/**
 * How to type `text` into the terminal a session runs in, through the transport its SessionStart recorded:
 * `tmux send-keys` to its pane, `nvim --remote-send` to its server. Anything else (a bare tty, unknown) is a
 * 409 saying why: hive cannot type into a terminal it does not drive. Nothing is run yet, so a caller can
 * refuse before it changes anything.
 */
export function typingFor(session: Session, text: string, enter: boolean): Typing {
  const d = session.transport_details as { tmux_socket?: unknown; tmux_pane?: unknown; nvim_socket?: unknown }
  if (session.transport_kind === "tmux" && typeof d.tmux_pane === "string") {
    const tmux = ["tmux", ...(typeof d.tmux_socket === "string" && d.tmux_socket ? ["-S", d.tmux_socket] : [])]
    const commands: string[][] = []
    // -l: the text as it is, never read as key names (a reply saying "Enter" types the word).
    if (text) commands.push([...tmux, "send-keys", "-t", d.tmux_pane, "-l", "--", text])
    if (enter) commands.push([...tmux, "send-keys", "-t", d.tmux_pane, "Enter"])
    return { typed: { transport: "tmux", chars: text.length, enter }, commands }
  }
  if (session.transport_kind === "nvim" && typeof d.nvim_socket === "string") {
    const keys = nvimKeys(text) + (enter ? "<CR>" : "")
    return { typed: { transport: "nvim", chars: text.length, enter }, commands: [["nvim", "--server", d.nvim_socket, "--remote-send", keys]] }
  }
  const why =
    session.transport_kind === "pty"
      ? "it runs in a bare terminal (no tmux or nvim to type through); run Claude Code inside tmux to reply from elsewhere"
      : "hive does not know its terminal (no SessionStart from `hive hook` recorded one)"
  throw conflict(`cannot type into session ${session.id}: ${why}`)
}

/** Runs a typing's commands in order; a failure is a 409 with the tool's own word for it. */
export async function runTyping(typing: Typing): Promise<Typed> {
  for (const argv of typing.commands) await run(argv)
  return typing.typed
}
