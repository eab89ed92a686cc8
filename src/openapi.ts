import type { AnyElysia } from "elysia"
import { ERROR_KINDS } from "./errors"

/** What a route answers (src/routes/responses.ts): a JSON schema, another media type, or no body. */
export type Content = object | { media: string; description: string } | null
export type ResponseTable = Record<string, Record<number, Content>>

const ERROR_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["error"],
  properties: {
    error: {
      type: "object",
      additionalProperties: false,
      required: ["code", "message"],
      properties: { code: { type: "string", enum: Object.keys(ERROR_KINDS) }, message: { type: "string" } },
    },
  },
}
const error = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } })
const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No content",
  206: "Partial content",
  410: "Gone",
  416: "Range not satisfiable",
  503: "Not ready",
}

/** The table's answers for one operation, and the errors every such operation can give (one shape: Error). */
function responsesOf(method: string, path: string, op: Operation, table: ResponseTable): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [status, content] of Object.entries(table[`${method.toUpperCase()} ${path}`] ?? {})) {
    const description = STATUS_TEXT[Number(status)] ?? "OK"
    if (content === null) out[status] = { description }
    else if ("media" in content) out[status] = { description: content.description, content: { [content.media as string]: { schema: { type: "string" } } } }
    else out[status] = { description, content: { "application/json": { schema: content } } }
  }
  const write = method !== "get"
  const hasInput = (op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined
  if (hasInput) out["400"] ??= error("Bad input: the message names the field")
  if (op.security === undefined) out["401"] ??= error("No valid credential")
  out["403"] ??= error(
    op.security === undefined
      ? "The token's scope does not allow this route (or the row is another agent's); or not this server's host, or a change from another origin"
      : "Not this server's host, or a change from another origin",
  )
  if (path.includes("{") || op.requestBody !== undefined) out["404"] ??= error("No such record (or one the body names)")
  if (write) out["409"] ??= error("Conflicts with what is stored")
  if (op.requestBody !== undefined) {
    out["413"] ??= error("The body is over the limit")
    out["415"] ??= error("The body is not sent as application/json")
  }
  out["503"] ??= error("The database is busy; retry")
  if (write) out["507"] ??= error("The disk is full")
  return out
}

type Operation = {
  responses?: Record<string, unknown>
  operationId?: string
  summary?: string
  description?: string
  security?: unknown[]
  parameters?: { schema?: unknown }[]
  requestBody?: unknown
}
type Paths = Record<string, Record<string, Operation>>

/** Which listener a document describes: the admin API (a bearer token) or the phone's (a device cookie). */
export type Listener = "admin" | "phone"

const SECURITY: Record<Listener, { schemes: Record<string, unknown>; default: unknown[] }> = {
  admin: {
    schemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        bearerFormat: "JWT",
        description:
          "A token from `hive token create`: admin (everything), an agent's (--agent NAME), or --scope hooks or read; a route a scope is not granted answers 403.",
      },
    },
    default: [{ bearer: [] }],
  },
  phone: { schemes: { device: { type: "apiKey", in: "cookie", name: "hive_device" } }, default: [{ device: [] }] },
}

/**
 * The OpenAPI document of an app, from the same schemas that validate its requests. Built on the first request
 * for it: the generator is loaded then, so a server nobody asks for its schema never pays for it.
 */
export async function openApiDocument(app: AnyElysia, version: string, listener: Listener, responses: ResponseTable) {
  const { toOpenAPISchema } = await import("@elysiajs/openapi/openapi")
  // staticFile: false, or a path with a dot (/api/pairing/:id/qr.svg) is left out of the document.
  const { paths, components } = toOpenAPISchema(app, { staticFile: false }, undefined, undefined, "3.1.2")
  const tidy = tidyPaths(paths as Paths, responses)
  return {
    openapi: "3.1.2",
    info: {
      title: listener === "admin" ? "hive" : "hive: the phone listener",
      version,
      description:
        listener === "admin"
          ? "Local state server for a fleet of AI coding agents: the admin API (127.0.0.1)."
          : "What the phone listener (behind the tunnel) answers: pairing, the phone page and its API, with a device cookie.",
      license: { name: "Proprietary", identifier: "LicenseRef-hive" },
    },
    servers: [{ url: listener === "admin" ? "http://127.0.0.1:7420" : "http://127.0.0.1:7421" }],
    paths: tidy,
    components: { schemas: { ...components.schemas, Error: ERROR_SCHEMA }, securitySchemes: SECURITY[listener].schemes },
    security: SECURITY[listener].default,
  }
}

/** `getApiSessionsById` → `sessions.get`: ids a generated client reads well, and summaries where a route has none. */
function tidyPaths(paths: Paths, table: ResponseTable): Paths {
  const out: Paths = {}
  const bases = new Map<string, number>()
  const named: { path: string; method: string; op: Operation; base: string; verb: string }[] = []
  for (const [path, ops] of Object.entries(paths))
    for (const [method, op] of Object.entries(ops)) {
      const { base, verb } = nameOf(method, path)
      bases.set(base, (bases.get(base) ?? 0) + 1)
      named.push({ path, method, op, base, verb })
    }
  for (const { path, method, op, base, verb } of named) {
    // A route may name itself (detail.operationId with a dot) where the rule would give two routes one name.
    const own =
      op.operationId && /^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)+$/.test(op.operationId) && !/^(get|post|put|patch|delete)Api/.test(op.operationId)
        ? op.operationId
        : undefined
    const id = own ?? (bases.get(base)! > 1 || base.split(".").length === 1 ? `${base}.${verb}` : base)
    const clean = withoutErrorMessages(op) as Operation
    const summary = clean.summary ?? summaryOf(clean.description) ?? phrase(verb, base)
    ;(out[path] ??= {})[method] = { ...clean, operationId: id, summary, responses: responsesOf(method, path, clean, table) }
  }
  return out
}

/** Resources that are one thing, not a collection. */
const SINGLE = new Set(["health", "openapi", "tunnel", "storage", "me"])

const camel = (s: string) => s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()).replace(/\.\w+$/, "")

/** A path's resource and actions (`/api/sessions/{id}/transcript` → sessions.transcript), and the method's verb. */
function nameOf(method: string, path: string): { base: string; verb: string } {
  const segments = path.split("/").filter(Boolean)
  const literals = segments.filter((s) => !s.startsWith("{")).map(camel)
  const words = literals[0] === "api" || literals[0] === "phone" ? literals.slice(literals[1] === "api" ? 2 : 1) : literals
  const endsWithParam = segments.at(-1)?.startsWith("{") ?? false
  // /health, /api/tunnel, /api/storage: one thing, not a list of them.
  const single = !endsWithParam && method === "get" && words.length === 1 && SINGLE.has(words[0]!)
  const verbs: Record<string, string> = endsWithParam
    ? { get: "get", put: "put", patch: "update", delete: "delete", post: "create" }
    : { get: "list", post: "create", put: "put", patch: "update", delete: "delete" }
  return { base: (words.length ? words : ["page"]).join("."), verb: single ? "get" : (verbs[method] ?? method) }
}

const human = (s: string) => s.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()
const singular = (s: string) => (s.endsWith("ss") ? s : s.replace(/ies$/, "y").replace(/s$/, ""))
const a = (s: string) => (/^[aeiou]/.test(s) ? `an ${s}` : `a ${s}`)

/** "List projects", "Get a session": the summary of a route that has none of its own. */
function phrase(verb: string, base: string): string {
  const [resource, ...actions] = base.split(".").map(human)
  const one = singular(resource!)
  if (actions.length) return `${verb[0]!.toUpperCase()}${verb.slice(1)} ${a(one)}'s ${actions.join(" ")}`
  const say: Record<string, string> = {
    list: `List ${resource}`,
    create: `Create ${a(one)}`,
    get: `Get ${a(one)}`,
    put: `Set ${a(one)}`,
    update: `Update ${a(one)}`,
    delete: `Delete ${a(one)}`,
  }
  return say[verb] ?? `${verb} ${resource}`
}

/** The first sentence of a description, when it is short enough to be a summary. */
function summaryOf(description: string | undefined): string | undefined {
  const first = description?.split(/(?<=[.:;])\s/)[0]?.replace(/[.:;]$/, "")
  return first && first.length <= 90 ? first : undefined
}

/** TypeBox's `error` (the message hive's validator gives) is not a JSON Schema keyword; the document leaves it out. */
function withoutErrorMessages(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutErrorMessages)
  if (value === null || typeof value !== "object") return value
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (k === "error" && typeof v === "string" ? [] : [[k, withoutErrorMessages(v)]])))
}
