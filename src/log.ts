export type Level = "debug" | "info" | "warn" | "error"
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type Logger = {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

/**
 * Plain lines on stderr. Callers pass messages, never request bodies or headers:
 * nothing here can know which bytes are secret, so nothing secret may reach it.
 */
export function createLogger(level: Level = "info", write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (lvl: Level) => (msg: string) => {
    if (rank[lvl] < rank[level]) return
    write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg}\n`)
  }
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }
}

/**
 * Appends each line to DIR/hive-YYYY-MM-DD.log (the UTC day of the line: lines start with their ISO time),
 * opening the next file when the day turns, and keeps the newest `keep` of them. A file that cannot be written
 * stops the file log, not hive: the lines still reach stderr.
 */
export function dailyFileSink(dir: string, keep: number, onFailure: (why: string) => void = () => {}): (line: string) => void {
  const fs = import.meta.require("node:fs") as typeof import("node:fs")
  let day = ""
  let fd: number | undefined
  let broken = false
  const rotate = (today: string) => {
    if (fd !== undefined) fs.closeSync(fd)
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    fd = fs.openSync(`${dir}/hive-${today}.log`, "a", 0o600)
    day = today
    const old = fs
      .readdirSync(dir)
      .filter((n) => /^hive-\d{4}-\d\d-\d\d\.log$/.test(n))
      .sort()
      .slice(0, -keep)
    for (const name of old) fs.rmSync(`${dir}/${name}`, { force: true })
  }
  return (line) => {
    if (broken) return
    try {
      const today = line.slice(0, 10)
      if (today !== day) rotate(today)
      fs.writeSync(fd!, line)
    } catch (err) {
      broken = true
      onFailure((err as Error).message)
    }
  }
}

/** Writes each line to every sink. */
export const both =
  (...sinks: ((line: string) => void)[]) =>
  (line: string) => {
    for (const sink of sinks) sink(line)
  }

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
