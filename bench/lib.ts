// What the benchmarks share: a free port on 127.0.0.1, and a process's memory from /proc.
import { readFileSync } from "node:fs"

/** A port nothing listens on right now (a listener on port 0, closed again). */
export async function freePort() {
  const s = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = s.port
  s.stop(true)
  return port
}

/** A field of /proc/PID/status, in kB (VmRSS: resident now; VmHWM: its peak). */
export const statusKb = (pid: number, field: "VmRSS" | "VmHWM") =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0)
