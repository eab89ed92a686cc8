import type * as Config from "../config"
import { type AdminClient, errorMessage } from "../client"
import { FatalError, UsageError } from "../errors"
import { runningServer } from "./server-lock"

// The commands that read and change what a running server holds (sessions, agents, approvals, questions,
// events) go through its API with the typed client, not to the database: the server tells the phone, the
// desk and every waiting agent at once, and a read or hooks token is refused what it may not do.

/** The Environment section of these commands' --help; `token` says which scope of token the command needs. */
export const remoteEnvironment = (token: string) => `Environment:
  HIVE_TOKEN   a token of the running server: ${token}
  HIVE_URL     the server (default: the one serving this data home)`

export type Remote = { api: AdminClient["api"]; url: string; token: string }

/** The server of this data home (or HIVE_URL), and the token to call it with (HIVE_TOKEN). */
export async function connect(command: string, config: Config.Config): Promise<Remote> {
  const token = config.token
  if (!token)
    throw new UsageError(
      `${command}: set HIVE_TOKEN to a token of the running server (\`export HIVE_TOKEN=$(hive token create --name cli)\`; --scope read for lists only)`,
    )
  const url = config.serverUrl ?? runningServer(config.home)?.url
  if (!url) throw new FatalError(`${command}: no hive server is running for ${config.home} (start it with \`hive serve\`, or set HIVE_URL)`)
  const { adminClient } = await import("../client")
  return { api: adminClient(url, token).api, url, token }
}

type Answer<T> = { data: T; error: { status: number; value: unknown } | null }

/** An API answer's value; a refusal or an unreachable server becomes a one-line error (exit 1). */
export async function call<T>(command: string, url: string, request: () => Promise<Answer<T>>): Promise<NonNullable<T>> {
  let res: Answer<T>
  try {
    res = await request()
  } catch (err) {
    throw new FatalError(`${command}: hive at ${url} did not answer (${(err as Error).message})`)
  }
  // The client answers a failed connection as an error whose value is the fetch's Error.
  if (res.error?.value instanceof Error) throw new FatalError(`${command}: hive at ${url} did not answer (${res.error.value.message})`)
  if (res.error) {
    const why = errorMessage(res.error.value)
    if (res.error.status === 401) throw new FatalError(`${command}: the server refused HIVE_TOKEN (${why})`)
    if (res.error.status === 403) throw new FatalError(`${command}: HIVE_TOKEN may not do this (${why})`)
    throw new FatalError(`${command}: ${why}`)
  }
  return res.data as NonNullable<T>
}
