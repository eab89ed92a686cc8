import { nodeFs, processInfo } from "../process"

/** The process that ran the hook (Claude Code), as the liveness check will later recognise it. */
export type Caller = { pid: number; ppid: number | null; start_time: number | null; tty: string | null }

/** The hook's caller, with its own parent, start time and terminal (`info`: its process, when already read). */
export function callerOf(pid: number, info = processInfo(pid)): Caller {
  return { pid, ppid: info?.ppid ?? null, start_time: info?.start_time ?? null, tty: info?.tty ?? null }
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
