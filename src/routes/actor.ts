import { principalOf as fromClaims, type Claims } from "../auth/jwt"
import type { Principal } from "../auth/scopes"
import { badRequest, forbidden, HiveError } from "../errors"
import type { Hive } from "../hive"

/** Who is acting, for the audit log: the token's name and id (never the token). */
export type ActorOf = (request: Request) => Promise<string>

// Set once a request's token is verified (and its agent still there): only an admitted caller is remembered.
const principals = new WeakMap<Request, Principal>()

/**
 * The caller of a request on the admin listener: a valid, unexpired, unrevoked token (a 401 otherwise) and,
 * for an agent token, an agent that still exists and is not destroyed (a 403). Remembered for `callerOf`.
 */
export async function authenticate(hive: Pick<Hive, "auth" | "stores">, request: Request): Promise<Principal> {
  // Checked once per request: an http hook is checked before its body is read, then reaches the API's guard.
  const known = principals.get(request)
  if (known) return known
  const authorization = request.headers.get("authorization")
  const desk = authorization === null ? deskToken(request) : undefined
  const checked = hive.auth.check(authorization ?? (desk === undefined ? null : `Bearer ${desk}`))
  const claims = checked instanceof Promise ? await checked : (checked as Claims)
  // A browser sends the desk's cookie with any request to this host, whoever's page made it: a change must
  // also carry the session's CSRF token, which only the desk's own page can read.
  if (desk !== undefined && !SAFE.has(request.method) && request.headers.get(CSRF_HEADER) !== hive.auth.csrfOf(claims))
    throw forbidden(`a change made with the desk's cookie must carry its ${CSRF_HEADER} header (from GET /desk/session)`)
  const caller = fromClaims(claims)
  if (caller.agent !== null) {
    const agent = hive.stores.agents.find(caller.agent)
    if (agent?.status !== "active") throw forbidden(`agent ${caller.agent} ${agent ? "is destroyed" : "does not exist"}: its tokens are refused`)
  }
  principals.set(request, caller)
  return caller
}

/** The desk's session cookie (HttpOnly): it holds a token of the scope its user signed in with. */
export const DESK_COOKIE = "hive_desk"
export const CSRF_HEADER = "x-hive-csrf"
const SAFE = new Set(["GET", "HEAD", "OPTIONS"])

/** A cookie's value from the Cookie header. */
export function cookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie")
  if (!header) return undefined
  for (const part of header.split(";")) {
    const at = part.indexOf("=")
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}

export const deskToken = (request: Request) => cookie(request, DESK_COOKIE)

/** The credential a request carries, for checking it again later (an open stream): its header, or the desk's cookie. */
export function credentialOf(request: Request): string | null {
  const desk = deskToken(request)
  return request.headers.get("authorization") ?? (desk === undefined ? null : `Bearer ${desk}`)
}

/** The caller of a request the API's guard has admitted. */
export function callerOf(request: Request): Principal {
  const principal = principals.get(request)
  if (!principal) throw new HiveError(500, "internal", "internal error; see the server log", { cause: new Error("a route ran before the token guard") })
  return principal
}

/**
 * The agent a write is made as. An agent token's is its own agent, whatever the body says (a different name
 * there is a 403); any other token must name one in `field`.
 */
export function actingAs(caller: Principal, claimed: string | null | undefined, field: string): string {
  if (caller.agent === null) {
    if (claimed === undefined || claimed === null) throw badRequest(`body field "${field}": required (only an agent token implies it)`)
    return claimed
  }
  if (claimed !== undefined && claimed !== null && claimed !== caller.agent)
    throw forbidden(`this token speaks for agent ${caller.agent}: it cannot act as ${claimed}`)
  return caller.agent
}

/** For an agent token: the row must be one of its own (`owners` names the agents it belongs to). Others pass. */
export function mustOwn(caller: Principal, owners: (string | null)[], what: string) {
  if (caller.agent !== null && !owners.includes(caller.agent)) throw forbidden(`${what} is not agent ${caller.agent}'s`)
}

/** For an agent token: a name in a path or query must be its own agent. Others pass. */
export function mustBeSelf(caller: Principal, name: string | undefined, field: string): string | undefined {
  if (caller.agent === null) return name
  if (name !== undefined && name !== caller.agent) throw forbidden(`this token speaks for agent ${caller.agent}: ${field} ${name} is not its own`)
  return caller.agent
}

/** Like actingAs, where the name is optional for other tokens (an event need not name an agent). */
export function stamped(caller: Principal, claimed: string | null | undefined): string | null | undefined {
  return caller.agent === null ? claimed : actingAs(caller, claimed, "agent")
}
