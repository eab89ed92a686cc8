import { readFileSync } from "node:fs"

// Whether a process is there, and whether it is still the one we saw: the server lock, the job journal, the
// tunnel's status row and the session liveness check all ask, in this one place.

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
/** When the machine booted (ms): /proc/stat's btime. */
function bootTime(): number {
  if (bootMs === undefined) bootMs = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1] ?? 0) * 1000
  return bootMs
}

// Clock ticks per second for /proc/<pid>/stat's starttime: USER_HZ, 100 on Linux.
const TICKS_PER_S = 100

export type ProcessInfo = { ppid: number; start_time: number; name: string }

/** A process's parent, start time (ms since the epoch) and command name, or undefined when it is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  if (process.platform === "linux") {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    } catch {
      return undefined
    }
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    const close = stat.lastIndexOf(")")
    const fields = stat.slice(close + 2).split(" ")
    const ppid = Number(fields[1])
    const ticks = Number(fields[19])
    return { ppid, start_time: Math.round(bootTime() + (ticks * 1000) / TICKS_PER_S), name: stat.slice(stat.indexOf("(") + 1, close) }
  }
  const r = Bun.spawnSync(["ps", "-o", "ppid=,lstart=,comm=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore", env: { LC_ALL: "C" } })
  const out = r.stdout.toString().trim()
  // lstart is "Tue Dec  3 16:41:56 2026", with a one-second resolution; comm (a path on macOS) comes last.
  const m = /^(\d+)\s+(\w{3} \w{3} +\d+ [\d:]+ \d{4})\s*(.*)$/.exec(out)
  if (r.exitCode !== 0 || !m) return undefined
  return { ppid: Number(m[1]), start_time: Date.parse(m[2]!) || 0, name: m[3]!.split("/").at(-1) ?? "" }
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
