/**
 * What each kind of token may do. An admin token may do everything; the others may call only the routes
 * listed for them here, and a route not listed is an admin route. One table, so a reader (and the trust
 * suite, which walks every route of the app against it) sees every grant in one place.
 */
export const SCOPES = ["admin", "agent", "hooks", "read"] as const
export type Scope = (typeof SCOPES)[number]

/** Who a request is: the token's scope, and for an agent token the agent it speaks as. */
export type Principal = { scope: Scope; agent: string | null; name: string; tokenId: string }

/** What a scope is for, in `hive token --help` and `hive token list`. */
export const SCOPE_PURPOSE: Record<Scope, string> = {
  admin: "everything",
  agent: "one agent: the broker, events, turn stats, its own inbox and commands, search over its own rows",
  hooks: "Claude Code's hooks: POST /api/hooks/claude and /api/hooks/claude/http only",
  read: "read-only: every GET but secrets, OAuth tokens, API tokens, backups, the audit log, devices and pairing",
}

// "METHOD /path" with Elysia's :param templates, exactly as the app lists its routes.
const AGENT_ROUTES = [
  "GET /api/agents",
  "GET /api/agents/:name",
  "POST /api/messages",
  "GET /api/messages/inbox/:recipient",
  "POST /api/messages/inbox/:recipient/ack",
  "GET /api/messages/history/:a/:b",
  "POST /api/approvals",
  "GET /api/approvals",
  "GET /api/approvals/:id",
  "POST /api/questions",
  "GET /api/questions",
  "GET /api/questions/:id",
  "POST /api/questions/:id/answer",
  "GET /api/commands",
  "GET /api/commands/:id",
  "POST /api/commands/claim",
  "POST /api/commands/:id/ack",
  "GET /api/events",
  "POST /api/events",
  "POST /api/events/batch",
  "GET /api/events/stream",
  "POST /api/stats/turns",
  "GET /api/stats/turns/summary",
  "GET /api/search",
]

const HOOK_ROUTES = ["POST /api/hooks/claude", "POST /api/hooks/claude/http"]

// Every GET of the admin API but these: a dashboard has no business reading credentials or who read them.
const NOT_READ = ["/api/secrets", "/api/oauth", "/api/audit", "/api/devices", "/api/pairing", "/api/tokens", "/api/backups", "/api/export"]

const granted: Record<Exclude<Scope, "admin" | "read">, Set<string>> = {
  agent: new Set(AGENT_ROUTES),
  hooks: new Set(HOOK_ROUTES),
}

/** The routes a listed scope is granted, for the trust suite to check that each names a real route. */
export const grantedRoutes = (scope: "agent" | "hooks"): readonly string[] => [...granted[scope]]

/** Whether a token of `scope` may call the route (its template, e.g. `/api/questions/:id`). */
export function permits(scope: Scope, method: string, route: string): boolean {
  if (scope === "admin") return true
  if (scope === "read") return (method === "GET" || method === "HEAD") && !NOT_READ.some((p) => route === p || route.startsWith(`${p}/`))
  return granted[scope].has(`${method === "HEAD" ? "GET" : method} ${route}`)
}
