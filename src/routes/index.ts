import { Elysia, ValidationError } from "elysia"
import { badRequest, forbidden, fromStorageError, HiveError, tooLarge } from "../errors"
import type { Hive } from "../hive"
import { type ActorOf, authenticate, callerOf, credentialOf } from "./actor"
import { permits } from "../auth/scopes"
import { HTTP_HOOK_PATH } from "../hooks/settings"
import { errorResponse, hostCheck } from "./admit"
import { agents } from "./agents"
import { approvals } from "./approvals"
import { audit } from "./audit"
import { commands } from "./commands"
import { events } from "./events"
import { messages } from "./messages"
import { questions } from "./questions"
import { oauth } from "./oauth"
import { preferences } from "./preferences"
import { projects } from "./projects"
import { sdkSessions } from "./sdk-sessions"
import { secrets } from "./secrets"
import { sessions } from "./sessions"
import { replyTokens } from "./reply-tokens"
import { stats } from "./stats"
import { jobs, retention } from "./jobs"
import { doctor } from "./doctor"
import { isImport, portable } from "./portable"
import { tokens } from "./tokens"
import { backups } from "./backups"
import { tunnel } from "./tunnel"
import { notifications } from "./notifications"
import { hooks, isHookInput } from "./hooks"
import { search } from "./search"
import { devices } from "./devices"
import { artifacts, isUpload } from "./artifacts"
import { worktrees } from "./worktrees"

type SchemaLike = { anyOf?: SchemaLike[]; const?: unknown; type?: string }

/** Unions read badly in the validator's words ("should be one of: 'string', 'string'"); say what is allowed. */
function expectation(schema: SchemaLike | undefined): string | undefined {
  if (!schema?.anyOf) return undefined
  const nullable = schema.anyOf.some((s) => s.type === "null")
  const consts = schema.anyOf.filter((s) => "const" in s).map((s) => String(s.const))
  const inner = schema.anyOf.find((s) => s.type !== "null")
  const what = consts.length
    ? `one of ${consts.join(", ")}`
    : inner?.anyOf
      ? expectation(inner)?.replace(/^must be /, "")
      : `a${/^[aeiou]/.test(inner?.type ?? "") ? "n" : ""} ${inner?.type ?? "value"}`
  return `must be ${what}${nullable ? " or null" : ""}`
}

/** `field "name": Expected string` — the first problem, naming the field, not the validator's dump. */
function validationMessage(err: ValidationError): string {
  if (typeof err.customError === "string") return err.customError
  const first = err.all[0] as { path?: string; summary?: string; message?: string; schema?: SchemaLike } | undefined
  const field = (first?.path ?? "").replace(/^\//, "").replaceAll("/", ".")
  const what = expectation(first?.schema) ?? first?.summary ?? first?.message ?? "invalid value"
  const where = err.type === "body" ? "" : `${err.type} `
  return field ? `${where}field "${field}": ${what}` : `${err.type === "body" ? "request body" : err.type}: ${what}`
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/** Reads a body, refusing it as soon as it passes `limit` bytes (a chunked upload has no Content-Length to check up front). */
async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array()
  // A declared length was already checked against the limit (onRequest), and Bun never reads past it.
  if (request.headers.has("content-length")) return new Uint8Array(await request.arrayBuffer())
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength
    if (total > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

// The bytes each request's body was parsed from: a phone's signature covers them as sent.
const rawBodies = new WeakMap<Request, Uint8Array>()
/** The body as it came (empty when there was none), for checking a signature over it. */
export const rawBody = (request: Request) => rawBodies.get(request) ?? new Uint8Array()

/** The API speaks JSON only (`refuseForeign` has checked the Content-Type of a change). */
export async function parseJsonBody(request: Request, limit: number): Promise<unknown> {
  const bytes = await readCapped(request, limit)
  rawBodies.set(request, bytes)
  if (bytes.byteLength === 0) return null
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    throw badRequest("the request body is not valid UTF-8")
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`)
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw badRequest(`the request body is nested deeper than ${MAX_JSON_DEPTH} levels`)
  return value
}

/** Deeper than any real request: Elysia spends seconds on a 20 KB body of 10,000 nested arrays (it stringifies it). */
export const MAX_JSON_DEPTH = 100

/**
 * Whether a parsed JSON value nests arrays and objects more than `max` deep. Walks the value, not the text:
 * a 500-event batch has ~13 characters per value, and this runs on every body (it was ~9% of batch ingest).
 */
function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false
  if (max === 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (nestedDeeperThan(value[i], max - 1)) return true
    return false
  }
  for (const key in value) if (nestedDeeperThan((value as Record<string, unknown>)[key], max - 1)) return true
  return false
}

/** The one place an error becomes a response: everything a client sees is `{ error: { code, message } }`. */
export function toHiveError(code: string | number, error: unknown, request: Request): HiveError {
  if (error instanceof HiveError) return error
  // Elysia wraps whatever a parse hook throws (our 413 and 400s) in its own ParseError.
  if (code === "PARSE" && (error as Error).cause instanceof HiveError) return (error as Error).cause as HiveError
  if (error instanceof ValidationError) return badRequest(validationMessage(error))
  switch (code) {
    case "PARSE":
      return badRequest("the request body is not valid JSON (or not of its declared content type)")
    case "NOT_FOUND":
      return new HiveError(404, "not_found", `no route ${request.method} ${new URL(request.url).pathname}`)
    case "INVALID_COOKIE_SIGNATURE":
      return badRequest("invalid cookie signature")
  }
  const storage = fromStorageError(error)
  if (storage) return storage
  return new HiveError(500, "internal", "internal error; see the server log", { cause: error })
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

/**
 * A change must come from the API's own clients, not from a page elsewhere (CSRF). Browsers let any page send
 * a "simple" request (a form, or fetch with no-cors: text/plain, no custom header) carrying the phone's cookie:
 * a page on another port of the same host is the same site, so SameSite does not stop it. Such a request is
 * refused here: JSON bodies must say application/json (a simple request cannot), and a browser's Origin and
 * Sec-Fetch-Site must say the request came from this origin. Clients outside a browser send neither header.
 */
export function refuseForeign(request: Request, alsoOwn: () => string | undefined = () => undefined) {
  if (SAFE_METHODS.has(request.method)) return
  const site = request.headers.get("sec-fetch-site")
  if (site !== null && site !== "same-origin" && site !== "none")
    throw new HiveError(403, "cross_origin", `a change must come from this server's own origin, not a ${site} page`)
  const origin = request.headers.get("origin")
  if (origin !== null) {
    let host: string | undefined
    try {
      host = origin === "null" ? undefined : new URL(origin).host.toLowerCase()
    } catch {}
    // Through the tunnel the Host header names the local listener while the page's origin is the public one.
    const own = (request.headers.get("host") ?? new URL(request.url).host).toLowerCase()
    if (host === undefined || (host !== own && host !== alsoOwn()?.toLowerCase()))
      throw new HiveError(403, "cross_origin", `a change must come from this server's own origin, not ${origin}`)
  }
  // A file's route checks its own type, once the caller is known (an import needs JSON lines).
  if (isUpload(request) || isImport(request) || !hasBody(request)) return
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase()
  if (type !== "application/json")
    throw new HiveError(415, "unsupported_media_type", `a request body must be JSON, sent with Content-Type: application/json${type ? ` (got ${type})` : ""}`)
}

const hasBody = (request: Request) => {
  const length = request.headers.get("content-length")
  return length === null ? request.body !== null : length !== "0"
}

/**
 * Guards every request: the Host must be one this server answers to (a page on another origin that
 * resolves its name to 127.0.0.1 — DNS rebinding — gets 403), bodies are capped before they are read,
 * and every error, ours or the framework's, leaves as JSON.
 */
export const guards = (
  hive: Pick<Hive, "logger" | "config" | "auth" | "stores">,
  opts: {
    /** The phone listener answers whatever Host the tunnel's name brings. */
    anyHost?: boolean
    /** Another host that is this server's own origin (the phone listener: the tunnel's public host). */
    publicHost?: () => string | undefined
  } = {},
) => {
  const { maxBodyBytes, maxArtifactBytes: uploadLimit, maxImportBytes, maxHookBytes, host } = hive.config
  const bodyLimit = (request: Request) => (isHookInput(request) ? maxHookBytes : maxBodyBytes)
  const refuseHost = hostCheck(host)
  return (
    new Elysia({ name: "routes.guards" })
      .onRequest(({ request }) => {
        // The phone listener is reached through a tunnel under the tunnel's own host name.
        const refused = opts.anyHost ? undefined : refuseHost(request)
        if (refused) throw refused
        const length = Number(request.headers.get("content-length") ?? 0)
        const limit = isUpload(request) ? uploadLimit : isImport(request) ? maxImportBytes : bodyLimit(request)
        if (length > limit) throw tooLarge(limit)
        refuseForeign(request, opts.publicHost)
      })
      // An upload's body is a file that its route streams to disk: never read here (null: no JSON body).
      .onParse({ as: "global" }, async ({ request }) => {
        if (isUpload(request) || isImport(request)) return null
        // A hook's body may be 64 times the API's limit: only a caller who may send one makes the server read it
        // (the API's own token check comes after the body is parsed).
        if (isHookInput(request)) {
          const caller = await authenticate(hive, request)
          if (!permits(caller.scope, "POST", HOOK_ROUTE)) throw scopeRefusal(caller.scope, "POST", HOOK_ROUTE)
        }
        return parseJsonBody(request, bodyLimit(request))
      })
      // Never reached (the hook above always answers); it tells the OpenAPI generator bodies are JSON.
      .onParse({ as: "global" }, { fn: "json" } as unknown as () => undefined)
      .onError({ as: "global" }, ({ code, error, request }) => {
        const err = toHiveError(code, error, request)
        if (err.status >= 500) {
          const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}\n${err.cause.stack ?? ""}` : String(err.cause ?? "")
          hive.logger.error(`${request.method} ${new URL(request.url).pathname} -> ${err.status} ${err.kind}: ${cause}`)
        }
        return errorResponse(err)
      })
  )
}

const HOOK_ROUTE = HTTP_HOOK_PATH
const scopeRefusal = (scope: string, method: string, route: string) =>
  forbidden(`a token of scope ${scope} cannot call ${method} ${route} (see \`hive token --help\`)`)

/** Everything under /api: each request must carry a valid token whose scope allows the route. */
export const api = (hive: Hive) => {
  // The guard has admitted this request's token already: who it is was remembered then.
  const actorOf: ActorOf = async (request) => {
    const caller = callerOf(request)
    return `token:${caller.name} (${caller.tokenId})`
  }
  return (
    new Elysia({ name: "routes.api", prefix: "/api" })
      // derive, not resolve: it runs before body validation, so a caller without a valid token learns
      // nothing about the schemas (no 400 before the 401).
      .derive(async ({ request, route }) => {
        const caller = await authenticate(hive, request)
        if (!permits(caller.scope, request.method, route)) throw scopeRefusal(caller.scope, request.method, route)
        return { caller }
      })
      .use(projects(hive))
      .use(sessions(hive))
      .use(replyTokens(hive))
      .use(worktrees(hive))
      .use(preferences(hive))
      .use(secrets(hive, actorOf))
      .use(oauth(hive, actorOf))
      .use(sdkSessions(hive))
      .use(audit(hive))
      .use(agents(hive))
      .use(messages(hive))
      .use(approvals(hive))
      .use(questions(hive))
      .use(commands(hive))
      .use(events(hive, (request) => () => hive.auth.check(credentialOf(request))))
      .use(hooks(hive))
      .use(search(hive))
      .use(devices(hive))
      .use(stats(hive))
      .use(jobs(hive))
      .use(retention(hive))
      .use(doctor(hive))
      .use(portable(hive))
      .use(tokens(hive))
      .use(backups(hive))
      .use(tunnel(hive))
      .use(notifications(hive))
      .use(artifacts(hive))
  )
}
