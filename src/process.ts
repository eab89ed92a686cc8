// Whether a process is there, and whether it is still the one we saw: the server lock, the job journal, the
// tunnel's status row and the session liveness check all ask, in this one place.

/**
 * node:fs, loaded when first needed: loading it costs a compiled hive a few ms, and `hive hook` (Claude Code
 * waits for it) does without it when a server runs on its machine.
 */
export const nodeFs = () => import.meta.require("node:fs") as typeof import("node:fs")

/** Whether a process is still there (EPERM: it is, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"
  }
}

let bootMs: number | undefined
/** When the machine booted (ms), from /proc/stat's btime. */
const btime = (procStat: string) => Number(/^btime (\d+)$/m.exec(procStat)?.[1] ?? 0) * 1000

// Clock ticks per second for /proc/<pid>/stat's starttime: USER_HZ, 100 on Linux.
const TICKS_PER_S = 100

/** A process's parent, start time (ms since the epoch), command name and controlling terminal. */
export type ProcessInfo = { ppid: number; start_time: number; name: string; tty: string | null }

/** A terminal's device path from /proc's tty_nr (the kernel's dev_t): pseudo-terminals and consoles. */
function ttyPath(ttyNr: number): string | null {
  const major = (ttyNr >> 8) & 0xfff
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00)
  if (major >= 136 && major <= 143) return `/dev/pts/${(major - 136) * 256 + minor}`
  if (major === 4) return minor < 64 ? `/dev/tty${minor}` : `/dev/ttyS${minor - 64}`
  return null
}

/** /proc/<pid>/stat read: the command name (field 2) may hold spaces and parentheses, so fields count after its last ")". */
function fromStat(stat: string, boot: number): ProcessInfo {
  const close = stat.lastIndexOf(")")
  const fields = stat.slice(close + 2).split(" ")
  const ticks = Number(fields[19])
  return {
    ppid: Number(fields[1]),
    start_time: Math.round(boot + (ticks * 1000) / TICKS_PER_S),
    name: stat.slice(stat.indexOf("(") + 1, close),
    tty: ttyPath(Number(fields[4])),
  }
}

/** Not Linux: ps (lstart has a one-second resolution; comm, a path on macOS, comes last). */
function fromPs(pid: number): ProcessInfo | undefined {
  const r = Bun.spawnSync(["ps", "-o", "ppid=,tty=,lstart=,comm=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore", env: { LC_ALL: "C" } })
  const m = /^(\d+)\s+(\S+)\s+(\w{3} \w{3} +\d+ [\d:]+ \d{4})\s*(.*)$/.exec(r.stdout.toString().trim())
  if (r.exitCode !== 0 || !m) return undefined
  const tty = m[2] === "??" || m[2] === "-" ? null : `/dev/${m[2]!.startsWith("tty") ? m[2] : `tty${m[2]}`}`
  return { ppid: Number(m[1]), start_time: Date.parse(m[3]!) || 0, name: m[4]!.split("/").at(-1) ?? "", tty }
}

const valid = (pid: number) => Number.isSafeInteger(pid) && pid > 0

/** A process as the system sees it now, or undefined when it is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (!valid(pid)) return undefined
  if (process.platform !== "linux") return fromPs(pid)
  let stat: string
  try {
    stat = nodeFs().readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return undefined
  }
  bootMs ??= btime(nodeFs().readFileSync("/proc/stat", "utf8"))
  return fromStat(stat, bootMs)
}

/**
 * Whether `pid` is still the process that started at `startTime`: a pid the system gave to another
 * program since has another start time. Compared to the second (macOS's ps resolution).
 */
export function sameProcess(pid: number, startTime: number | null): boolean {
  const info = processInfo(pid)
  if (!info) return false
  return startTime === null || Math.abs(info.start_time - startTime) < 1500
}

/**
 * The command that runs this hive's own CLI in a child process: the binary itself, or, from source, bun with
 * src/main.ts (never Bun.main, which under `bun test` is the test file).
 */
export function selfCommand(): string[] {
  return isCompiled() ? [process.execPath] : [process.execPath, new URL("./main.ts", import.meta.url).pathname]
}

/** Whether this is the built binary (its modules live in Bun's embedded file system), not a run from source. */
export const isCompiled = () => Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:\\~BUN")
