import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { processAlive } from "../process"

// `hive serve` leaves serve.pid in the data home while it runs, so commands that must not run under a live
// server (restore) can tell. A file left by a server that was killed names a dead pid and is ignored.
const file = (home: string) => join(home, "serve.pid")

export type RunningServer = { pid: number; url: string }

export function markRunning(home: string, url: string) {
  writeFileSync(file(home), `${JSON.stringify({ pid: process.pid, url })}\n`, { mode: 0o600 })
}

export function clearRunning(home: string) {
  const current = runningServer(home)
  if (current?.pid === process.pid) rmSync(file(home), { force: true })
}

/** The server running on this data home, if one is. */
export function runningServer(home: string): RunningServer | undefined {
  try {
    const info = JSON.parse(readFileSync(file(home), "utf8")) as RunningServer
    return Number.isInteger(info.pid) && processAlive(info.pid) ? info : undefined
  } catch {
    return undefined
  }
}
