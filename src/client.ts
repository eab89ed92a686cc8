import { treaty } from "@elysiajs/eden"
import type { AdminApp } from "./server"

/**
 * The typed client of a running hive's admin API (Eden Treaty, from the app's own type: a route whose shape
 * changes breaks every caller at build time). Only the type of the app is imported: a command that talks to
 * a server never loads the server.
 */
export function adminClient(url: string, token: string, opts: { timeoutMs?: number } = {}) {
  return treaty<AdminApp>(url, {
    headers: { authorization: `Bearer ${token}` },
    fetch: opts.timeoutMs ? { signal: AbortSignal.timeout(opts.timeoutMs) } : undefined,
  })
}

export type AdminClient = ReturnType<typeof adminClient>

/** The message of an error answer (`{ error: { code, message } }`), whatever the client's error value holds. */
export function errorMessage(value: unknown): string {
  const error = (value as { error?: { message?: unknown } } | null)?.error
  return typeof error?.message === "string" ? error.message : "no message"
}
