import type { Session } from "../db/sessions"
import { nodeFs, processInfo } from "../process"

/** The process that ran the hook (Claude Code), as the liveness check will later recognise it. */
export type Caller = { pid: number; ppid: number | null; start_time: number | null; tty: string | null }
export type Transport = { kind: Session["transport_kind"]; details: Record<string, unknown> }
export type TransportEnv = { TMUX?: string; TMUX_PANE?: string; NVIM?: string; NVIM_LISTEN_ADDRESS?: string }

/** The terminal Claude Code runs in, from its environment and its stdin's tty. */
export function detectTransport(env: TransportEnv, tty: string | null): Transport {
  if (env.TMUX && env.TMUX_PANE) return { kind: "tmux", details: { tmux_socket: env.TMUX.split(",")[0], tmux_pane: env.TMUX_PANE, ...(tty ? { tty } : {}) } }
  const nvim = env.NVIM || env.NVIM_LISTEN_ADDRESS
  if (nvim) return { kind: "nvim", details: { nvim_socket: nvim, ...(tty ? { instance_name: tty } : {}) } }
  if (tty) return { kind: "pty", details: { tty } }
  return { kind: "unknown", details: {} }
}

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "fish"])

/**
 * Who ran a hook whose parent is `pid`, and in which terminal. Claude Code runs a command hook through a
 * shell: the caller to record is the first ancestor that is not one. The server calls this for a `hive hook`
 * on its own machine (the hook's parent waits for the hook, so it is still there to be read); `hive hook`
 * itself only when it talks to a server elsewhere or writes to the database.
 */
export function hookCaller(pid: number, terminal: TransportEnv): { caller: Caller; transport: Transport } {
  let info = processInfo(pid)
  for (let hops = 0; hops < 2 && info && SHELLS.has(info.name) && info.ppid > 1; hops++) {
    const parent = processInfo(info.ppid)
    if (!parent) break
    pid = info.ppid
    info = parent
  }
  const caller = { pid, ppid: info?.ppid ?? null, start_time: info?.start_time ?? null, tty: info?.tty ?? null }
  return { caller, transport: detectTransport(terminal, caller.tty) }
}

/**
 * Whether this process's stdin is a terminal (someone ran `hive hook` by hand). Not node:tty's isatty nor
 * process.stdin.isTTY: loading node:tty costs a compiled hive some 15 ms.
 */
export function stdinIsTerminal(): boolean {
  const fs = nodeFs()
  try {
    return /^\/dev\/(pts\/\d+|tty\w*|console)$/.test(fs.readlinkSync("/proc/self/fd/0"))
  } catch {
    // No /proc (macOS): a terminal is a character device (and so, rarely, is /dev/null).
    try {
      return fs.fstatSync(0).isCharacterDevice()
    } catch {
      return false
    }
  }
}
