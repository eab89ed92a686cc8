import { nodeFs, processAlive } from "../process"

// `hive serve` leaves serve.pid in the data home while it runs, so commands that must not run under a live
// server (restore) can tell. A file left by a server that was killed names a dead pid and is ignored.
// The data home is absolute and normal (config.ts); no node:path here, as `hive hook` reads this.
const file = (home: string) => `${home}/serve.pid`

/** `phone_url`: the phone listener, which may not be on the configured port (`--port 0`, `--phone-port`). */
export type RunningServer = { pid: number; url: string; phone_url?: string }

export function markRunning(home: string, url: string, phoneUrl?: string) {
  // Written aside and renamed over: `hive hook` maps the file (runningServerNoFs), and a file truncated under
  // a mapping would kill the reader.
  const fs = nodeFs()
  const temp = `${file(home)}.${process.pid}`
  fs.writeFileSync(temp, `${JSON.stringify({ pid: process.pid, url, ...(phoneUrl ? { phone_url: phoneUrl } : {}) })}\n`, { mode: 0o600 })
  fs.renameSync(temp, file(home))
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

/**
 * runningServer without node:fs and without waiting on Bun's I/O threads (the first asynchronous read
 * costs a fresh process some milliseconds), for `hive hook`: the file is small and is only ever replaced whole.
 */
export function runningServerNoFs(home: string): RunningServer | undefined {
  try {
    return alive(JSON.parse(new TextDecoder().decode(Bun.mmap(file(home)))) as RunningServer)
  } catch {
    return undefined
  }
}

// hive.db as a clean stop of `hive serve` left it. The next start skips its quick_check (which reads the whole
// file, so it grows with the database) only when the file is exactly that one: the same inode, size and mtime,
// and no write-ahead log. Anything else (a crash, a kill, another tool or command writing it, a copy or a
// restore put in its place) gets the check. The mark is taken at start, so a crash from then on leaves none.
const cleanStopFile = (home: string) => `${home}/clean-stop.json`
type FileMark = { dev: number; ino: number; size: number; mtimeMs: number }

function markOf(dbPath: string): FileMark | undefined {
  const fs = nodeFs()
  try {
    if (fs.statSync(`${dbPath}-wal`).size > 0) return undefined
  } catch {}
  try {
    const st = fs.statSync(dbPath)
    return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }
  } catch {
    return undefined
  }
}

/** After a clean stop (the database closed, its WAL folded in): remembers the file as it was left. */
export function markCleanStop(home: string, dbPath: string) {
  const mark = markOf(dbPath)
  if (!mark) return
  const fs = nodeFs()
  const temp = `${cleanStopFile(home)}.${process.pid}`
  fs.writeFileSync(temp, `${JSON.stringify(mark)}\n`, { mode: 0o600 })
  fs.renameSync(temp, cleanStopFile(home))
}

/** Whether hive.db is exactly as the last clean stop left it; the mark is removed either way. */
export function takeCleanStop(home: string, dbPath: string): boolean {
  const fs = nodeFs()
  let stored: FileMark
  try {
    stored = JSON.parse(fs.readFileSync(cleanStopFile(home), "utf8")) as FileMark
  } catch {
    return false
  } finally {
    fs.rmSync(cleanStopFile(home), { force: true })
  }
  const now = markOf(dbPath)
  return now !== undefined && (["dev", "ino", "size", "mtimeMs"] as const).every((k) => stored[k] === now[k])
}
