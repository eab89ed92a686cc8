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

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
