import { type Treaty, treaty } from "@elysiajs/eden"
import type { ErrorKind } from "./errors"
import type { AdminApp } from "./server"

/** What every error answer of hive's carries, whatever the route (src/errors.ts is the one place it is made). */
export type ErrorBody = { error: { code: ErrorKind; message: string } }

// Eden types an error from the route's declared error schemas; hive's routes throw HiveError instead, which the
// app's one error handler turns into ErrorBody. So the client's own type says so: on every call, a failed answer's
// value is ErrorBody (the fuzz checks every answer against the document, where each route's errors are listed).
type WithHiveErrors<R> = R extends { error: null } ? R : R extends { data: null } ? Omit<R, "error"> & { error: { status: number; value: ErrorBody } } : R
type Call<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<WithHiveErrors<R>> : never
type Typed<T> = {
  [K in keyof T]: T[K] extends (...args: infer _A) => Promise<unknown>
    ? Call<T[K]>
    : T[K] extends (...args: infer A) => infer Sub
      ? ((...args: A) => Typed<Sub>) & Typed<Omit<T[K], never>>
      : T[K] extends object
        ? Typed<T[K]>
        : T[K]
}

/**
 * The typed client of a running hive's admin API (Eden Treaty, from the app's own type: a route whose shape
 * changes breaks every caller at build time). Only the type of the app is imported: a command that talks to
 * a server never loads the server.
 */
export function adminClient(url: string, token: string, opts: { timeoutMs?: number; fetcher?: typeof fetch } = {}): AdminClient {
  return treaty<AdminApp>(url, {
    headers: { authorization: `Bearer ${token}` },
    fetcher: opts.fetcher,
    fetch: opts.timeoutMs ? { signal: AbortSignal.timeout(opts.timeoutMs) } : undefined,
  }) as unknown as AdminClient
}

export type AdminClient = Typed<Treaty.Create<AdminApp>>

/** The message of an error answer (`{ error: { code, message } }`), whatever the client's error value holds. */
export function errorMessage(value: unknown): string {
  const error = (value as { error?: { message?: unknown } } | null)?.error
  return typeof error?.message === "string" ? error.message : "no message"
}
