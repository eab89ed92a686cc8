import { join } from "node:path"
import { nodeFs, processAlive } from "../process"

// `hive serve` leaves serve.pid in the data home while it runs, so commands that must not run under a live
// server (restore) can tell. A file left by a server that was killed names a dead pid and is ignored.
const file = (home: string) => join(home, "serve.pid")

/** `phone_url`: the phone listener, which may not be on the configured port (`--port 0`, `--phone-port`). */
export type RunningServer = { pid: number; url: string; phone_url?: string }

export function markRunning(home: string, url: string, phoneUrl?: string) {
  nodeFs().writeFileSync(file(home), `${JSON.stringify({ pid: process.pid, url, ...(phoneUrl ? { phone_url: phoneUrl } : {}) })}\n`, { mode: 0o600 })
}

export function clearRunning(home: string) {
  const current = runningServer(home)
  if (current?.pid === process.pid) nodeFs().rmSync(file(home), { force: true })
}

const alive = (info: RunningServer) => (Number.isInteger(info.pid) && processAlive(info.pid) ? info : undefined)

/** The server running on this data home, if one is. */
export function runningServer(home: string): RunningServer | undefined {
  try {
    return alive(JSON.parse(nodeFs().readFileSync(file(home), "utf8")) as RunningServer)
  } catch {
    return undefined
  }
}

/** runningServer without node:fs, for `hive hook` (see processInfoAsync). */
export async function runningServerAsync(home: string): Promise<RunningServer | undefined> {
  try {
    return alive((await Bun.file(file(home)).json()) as RunningServer)
  } catch {
    return undefined
  }
}
