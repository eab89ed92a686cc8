import { HiveError } from "../errors"

// What a listener checks of every request before anything else, with no framework loaded: `src/front.ts`
// answers /health through it while the API is still loading, and the guards (routes/index.ts) use it after.

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" }

export const errorResponse = (err: HiveError) =>
  new Response(JSON.stringify(err.toJSON()), { status: err.status, headers: err.headers ? { ...JSON_HEADERS, ...err.headers } : JSON_HEADERS })

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]", "::1"]

/** The name the client addressed, from the Host header (cheaper than parsing the URL on every request). */
function hostname(request: Request): string {
  const host = request.headers.get("host")
  if (host === null) return new URL(request.url).hostname.toLowerCase()
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!
  return name.toLowerCase()
}

/**
 * The Host check of a listener bound to `bound`: a page on another origin that resolves its name to 127.0.0.1
 * (DNS rebinding) gets 403. Answers the refusal, or undefined for a request addressed to this server.
 */
export function hostCheck(bound: string): (request: Request) => HiveError | undefined {
  const allowed = new Set([...LOOPBACK, bound.toLowerCase()])
  return (request) =>
    allowed.has(hostname(request)) ? undefined : new HiveError(403, "forbidden_host", "this server only answers requests addressed to its own host name")
}
