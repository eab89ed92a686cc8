import { t } from "elysia"
import type { Pulse } from "../pulse"

/** The longest a long poll waits; a longer `wait` is lowered to it. */
export const MAX_WAIT_MS = 60_000
/** A waiter looks again this often without a pulse: other processes (the CLI, a second server) write too. */
const RECHECK_MS = 1000

/** `wait`: how long to hold the request open for a change: `30s`, `1500ms`, or seconds as a bare number. */
export const Wait = (where: "query" | "body") =>
  t.String({
    pattern: "^\\d{1,9}(ms|s)?$",
    description: `how long to wait for a change, e.g. 30s or 500ms (at most ${MAX_WAIT_MS / 1000}s)`,
    error: `${where === "query" ? "query " : ""}field "wait": a duration such as 30s or 500ms (at most ${MAX_WAIT_MS / 1000}s)`,
  })

export function waitMs(wait: string | undefined): number {
  if (wait === undefined) return 0
  const n = Number.parseInt(wait, 10)
  return Math.min(MAX_WAIT_MS, wait.endsWith("ms") ? n : n * 1000)
}

/**
 * Reads until `settled` says the value is what the caller waits for, the wait is over, or `signal` aborts
 * (the client went away, the server stops). Each look is a plain read outside any transaction; between
 * looks it sleeps on the pulse (every committed write wakes it), and at most RECHECK_MS. `by` ends the wait
 * early, at a moment the state changes by itself (a question's deadline).
 */
export async function longPoll<T>(
  o: { pulse: Pulse; ms: number; signal?: AbortSignal; by?: number | null },
  read: () => T,
  settled: (value: T) => boolean,
): Promise<T> {
  const until = Math.min(Date.now() + o.ms, o.by ?? Number.POSITIVE_INFINITY)
  let value = read()
  if (settled(value)) return value
  // One listener for the whole wait, not one per look.
  const stop = aborted(o.signal)
  while (!settled(value) && !o.signal?.aborted) {
    const left = until - Date.now()
    if (left <= 0) break
    await Promise.race([o.pulse.wait(Math.min(RECHECK_MS, left)), stop])
    value = read()
  }
  return value
}

/** Waits `ms`, or less when `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true })
  })
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {})
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }))
}

/** The request's own signal (the client went away) together with the server's shutdown. */
export const waitSignal = (request: Request, shutdown: AbortSignal | undefined) => (shutdown ? AbortSignal.any([request.signal, shutdown]) : request.signal)

/**
 * Bun ends a request whose answer has sent nothing for 10 s (its idleTimeout): one held open on purpose (a
 * long poll, a held hook) is exempt. `server` is null when the app answers in-process (tests, the MCP tools).
 */
export function holdOpen(server: { timeout(request: Request, seconds: number): void } | null, request: Request) {
  server?.timeout(request, 0)
}
