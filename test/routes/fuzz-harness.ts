import type { Database } from "bun:sqlite"
import { expect } from "bun:test"
import fc from "fast-check"
import type { AnyElysia } from "elysia"

// A fuzz of every operation an app's own OpenAPI document describes (issue 15): values generated from each
// schema, at and past its edges, and hostile ones of every type, sent through the real app over a real
// database. A request must never answer 5xx or hang; a refused one (4xx) must change nothing; and no
// operation may touch the credentials and the audit log unless its resource is theirs.

export type Schema = {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  patternProperties?: Record<string, Schema>
  items?: Schema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
}
type Parameter = { name: string; in: "path" | "query" | "header"; required?: boolean; schema?: Schema }
type Operation = {
  tags?: string[]
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
  responses?: Record<string, { content?: Record<string, { schema?: Json }> }>
}
export type Document = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Json> } }
type Json = Record<string, unknown>

/**
 * Why `value` does not fit a JSON Schema (the keywords hive's documents use), or undefined when it does: how the
 * tests hold every answer to the document that describes it.
 */
export function misfit(value: unknown, schema: Json, doc: Document, at = "body"): string | undefined {
  if (typeof schema.$ref === "string") return misfit(value, doc.components?.schemas?.[schema.$ref.split("/").at(-1)!] ?? {}, doc, at)
  const alternatives = (schema.anyOf ?? schema.oneOf) as Json[] | undefined
  if (alternatives)
    return alternatives.some((s) => misfit(value, s, doc, at) === undefined)
      ? undefined
      : `${at}: fits none of its ${alternatives.length} forms (${JSON.stringify(value)?.slice(0, 80)})`
  if ("const" in schema && value !== schema.const) return `${at}: must be ${JSON.stringify(schema.const)}`
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `${at}: must be one of ${schema.enum.join(", ")}`
  const kinds = schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value
  if (kinds.length && !kinds.includes(kind) && !(kind === "integer" && kinds.includes("number"))) return `${at}: must be ${kinds.join(" or ")}, got ${kind}`
  // Elysia's t.Integer() is "an integer, or a string of one" (it coerces queries); an answer's string must be one.
  if (typeof value === "string" && schema.format === "integer" && !/^-?\d+$/.test(value)) return `${at}: must be an integer`
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) return `${at}: below ${schema.minimum}`
    if (typeof schema.maximum === "number" && value > schema.maximum) return `${at}: above ${schema.maximum}`
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const bad = misfit(item, schema.items as Json, doc, `${at}[${i}]`)
      if (bad) return bad
    }
  }
  if (kind === "object") {
    const obj = value as Json
    const props = (schema.properties ?? {}) as Record<string, Json>
    for (const k of (schema.required ?? []) as string[]) if (!(k in obj)) return `${at}: no field "${k}"`
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) {
        const bad = misfit(v, props[k], doc, `${at}.${k}`)
        if (bad) return bad
      } else if (schema.patternProperties) {
        for (const [pattern, inner] of Object.entries(schema.patternProperties as Record<string, Json>))
          if (new RegExp(pattern).test(k)) {
            const bad = misfit(v, inner, doc, `${at}.${k}`)
            if (bad) return bad
          }
      } else if (schema.additionalProperties === false) return `${at}: a field "${k}" the document does not describe`
    }
  }
  return undefined
}

/** Values of every JSON type that sit where schemas draw their lines, and strings that have broken servers. */
const HOSTILE: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  1e308,
  -1e308,
  "",
  " ",
  "x",
  "0",
  "-1",
  "1e308",
  "9223372036854775807",
  "-9223372036854775809",
  "NaN",
  "null",
  "true",
  "\u0000",
  "a\u0000b",
  "\r\n",
  "line\nbreak",
  "\ud83d\ude00",
  "\u202e",
  "é",
  "../../etc/passwd",
  "%00",
  "%2e%2e%2f",
  "'; DROP TABLE sessions; --",
  "<script>alert(1)</script>",
  "a".repeat(5000),
  [],
  [null],
  [1, "a"],
  {},
  { a: { b: [1] } },
  { __proto__: { polluted: 1 } },
]
const hostile = fc.constantFrom(...HOSTILE)

const INT32 = 2 ** 31 - 1
/** Whole numbers in [lo, hi], weighted towards both ends (fast-check's integer stays within 32 bits). */
function integers(lo: number, hi: number): fc.Arbitrary<number> {
  const ends = fc.constantFrom(lo, hi, Math.min(hi, Math.max(lo, 0)), Math.min(hi, lo + 1), Math.max(lo, hi - 1))
  if (lo >= -INT32 && hi <= INT32) return fc.oneof(fc.integer({ min: lo, max: hi }), ends)
  return fc.oneof(fc.integer({ min: Math.max(lo, -INT32), max: Math.min(hi, INT32) }), ends)
}

function types(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type
  return schema.type ? [schema.type] : []
}

/** A value the schema accepts (or means to), of one of its types, all the way down. */
function valid(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => valid(s, depth)))
  if ("const" in schema) return fc.constant(schema.const)
  const kinds = types(schema)
  if (schema.enum?.length) return fc.constantFrom(...schema.enum, ...(kinds.includes("null") ? [null] : []))
  if (kinds.length > 1) return fc.oneof(...kinds.map((type) => valid({ ...schema, type }, depth)))
  switch (kinds[0]) {
    case "null":
      return fc.constant(null)
    case "boolean":
      return fc.boolean()
    case "integer":
      return integers(schema.minimum ?? -Number.MAX_SAFE_INTEGER, schema.maximum ?? Number.MAX_SAFE_INTEGER)
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: schema.minimum, max: schema.maximum })
    case "string": {
      const min = schema.minLength ?? 0
      const max = Math.min(schema.maxLength ?? 40, min + 40)
      // A long poll's `wait` (src/routes/wait.ts) holds a request open by design, up to a minute: valid waits
      // stay short here, so "no answer within the timeout" still means a hang. Invalid ones come from oneOff.
      if (schema.pattern === WAIT_PATTERN) return fc.constantFrom("0", "1", "50ms", "300ms")
      if (schema.pattern) {
        const fits = (s: string) => s.length >= min && s.length <= (schema.maxLength ?? Infinity)
        try {
          return fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
        } catch {
          // A pattern fast-check cannot generate from (a lookahead): strings it may or may not match.
          return fc.string({ minLength: min, maxLength: max })
        }
      }
      return fc.oneof(fc.string({ minLength: min, maxLength: max }), fc.string({ minLength: min, maxLength: max, unit: "grapheme" }))
    }
    case "array":
      return fc.array(valid(schema.items ?? {}, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, (schema.minItems ?? 0) + 4),
      })
    case "object": {
      const props = schema.properties ?? {}
      if (Object.keys(props).length === 0 || depth > 3) return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })
      const shape = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valid(s, depth + 1)]))
      return fc.record(shape, { requiredKeys: (schema.required ?? []).filter((k) => k in shape) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** Values at and just past a schema's edges, and numbers no column can hold. */
function edges(schema: Schema): fc.Arbitrary<unknown> {
  const out: unknown[] = []
  for (const type of types(schema)) {
    if (type === "integer" || type === "number") {
      const lo = schema.minimum ?? -Number.MAX_SAFE_INTEGER
      const hi = schema.maximum ?? Number.MAX_SAFE_INTEGER
      out.push(lo, hi, lo - 1, hi + 1, 0, -0, lo + 0.5, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63) - 2048, 1e308, -1e308)
    }
    if (type === "string") {
      const min = schema.minLength ?? 0
      const max = schema.maxLength ?? 1000
      out.push(
        "",
        "x".repeat(min),
        "x".repeat(Math.min(max, 100_000)),
        "x".repeat(Math.min(max + 1, 100_001)),
        "é".repeat(Math.min(max, 1000)),
        "\u0000",
        "a\r\nb",
      )
    }
    if (type === "array")
      out.push(
        [],
        Array.from({ length: (schema.maxItems ?? 10) + 1 }, () => null),
      )
  }
  return out.length ? fc.oneof(fc.constantFrom(...out), hostile) : hostile
}

/**
 * A valid value with exactly one thing wrong, so the wrong thing is what the server meets (a value with many
 * wrong fields is refused at the first and tests nothing past it): one field at or past its edge, a required
 * field missing, a field the schema does not have, or one array item off.
 */
function oneOff(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const props = schema.properties ?? {}
  const keys = Object.keys(props)
  if (types(schema).includes("object") && keys.length && depth < 3) {
    const required = schema.required ?? []
    return fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(valid(schema, depth), fc.constantFrom(...keys))
          .chain(([v, k]) => oneOff(props[k]!, depth + 1).map((bad) => ({ ...(v as object), [k]: bad }))),
      },
      {
        weight: 1,
        arbitrary: required.length
          ? fc
              .tuple(valid(schema, depth), fc.constantFrom(...required))
              .map(([v, k]) => Object.fromEntries(Object.entries(v as object).filter(([key]) => key !== k)))
          : valid(schema, depth),
      },
      { weight: 1, arbitrary: valid(schema, depth).map((v) => ({ ...(v as object), zz_unknown_field: 1 })) },
    )
  }
  if (types(schema).includes("array") && schema.items && depth < 3)
    return fc.oneof(
      fc
        .tuple(valid({ ...schema, minItems: Math.max(1, schema.minItems ?? 0) }, depth), oneOff(schema.items, depth + 1))
        .map(([v, bad]) => [...(v as unknown[]).slice(1), bad]),
      edges(schema),
    )
  return edges(schema)
}

/** A valid value, one with a single thing wrong, or anything at all. */
const WAIT_PATTERN = "^\\d{1,9}(ms|s)?$"

export function value(schema: Schema): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: valid(schema), weight: 3 }, { arbitrary: oneOff(schema), weight: 6 }, { arbitrary: hostile, weight: 1 })
}

const asQuery = (v: unknown) => (typeof v === "string" ? v : v !== null && typeof v === "object" ? JSON.stringify(v) : String(v))

export type Target = {
  app: AnyElysia
  doc: Document
  /** Headers that let a request in (a token, a device cookie). */
  headers: Record<string, string>
  /** Real values for path parameters by name (ids of seeded rows), so requests reach more than 404s. */
  known: Record<string, string[]>
  db: Database
  /** Tables only operations with these tags may change (credentials, the audit log). */
  guarded: Record<string, string[]>
  /** Tables a refused request writes to on purpose (a wrong pairing guess is counted against its window). */
  recordsRefusals?: string[]
  /** Headers that sign a change, as its client does (the phone's key). */
  sign?: (method: string, url: URL, body: string | Uint8Array | undefined) => Promise<Record<string, string>>
}

/** Tables whose rows change on reads by design (a device's last_seen_at, the search index catching up, a signature's nonce). */
const VOLATILE = /^(paired_devices|device_nonces|job_runs|search_state|sqlite_\w+|\w+_fts(_\w+)?|key_usage)$/

function fingerprint(db: Database): Map<string, number> {
  const out = new Map<string, number>()
  const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all()
  for (const { name } of tables) {
    if (VOLATILE.test(name)) continue
    const rows = db.query(`SELECT * FROM "${name}"`).values()
    out.set(
      name,
      Number(Bun.hash(JSON.stringify(rows, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : typeof v === "bigint" ? String(v) : v)))),
    )
  }
  return out
}

const changed = (a: Map<string, number>, b: Map<string, number>) => [...a.keys()].filter((k) => a.get(k) !== b.get(k))

/** Every route of the app is in its document: a route nobody described is a route nobody fuzzed. */
export function undocumented(app: AnyElysia, doc: Document): string[] {
  const described = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)))
  return app.routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`).filter((r) => !described.has(r))
}

export type FuzzResult = { operations: number; requests: number; statuses: Record<string, number> }

/** Runs `runs` generated requests against every operation of the document; throws naming the seed on failure. */
export async function fuzz(target: Target, opts: { runs: number; seed: number; timeoutMs?: number }): Promise<FuzzResult> {
  const timeoutMs = opts.timeoutMs ?? 5000
  const statuses: Record<string, number> = {}
  let requests = 0
  let operations = 0
  for (const [path, ops] of Object.entries(target.doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      operations++
      const params = op.parameters ?? []
      const pathArbs = Object.fromEntries(
        params
          .filter((p) => p.in === "path")
          .map((p) => [
            p.name,
            fc.oneof(
              { arbitrary: fc.constantFrom(...(target.known[p.name] ?? ["x"])), weight: 3 },
              { arbitrary: value(p.schema ?? { type: "string" }).map(asQuery), weight: 2 },
            ),
          ]),
      )
      const queryArbs = Object.fromEntries(params.filter((p) => p.in === "query").map((p) => [p.name, value(p.schema ?? { type: "string" })]))
      const json = op.requestBody?.content?.["application/json"]?.schema
      const hasOtherBody = !json && op.requestBody !== undefined
      const request = fc.record({
        path: fc.record(pathArbs),
        query: fc.record(queryArbs, { requiredKeys: [] }),
        body: json ? value(json) : hasOtherBody ? fc.uint8Array({ maxLength: 2000 }) : fc.constant(undefined),
      })
      const tag = op.tags?.[0] ?? ""
      const guardedHere = Object.entries(target.guarded)
        .filter(([, tags]) => !tags.includes(tag))
        .map(([table]) => table)
      try {
        await fc.assert(
          fc.asyncProperty(request, async ({ path: values, query, body }) => {
            requests++
            const url = new URL(
              `http://localhost${path.replace(/\{(\w+)\}/g, (_, name) => {
                // "", "." and ".." are not a segment a URL keeps (the path would name the list route instead).
                const v = encodeURIComponent(String(values[name] ?? "x"))
                return v === "" || v === "." || v === ".." ? "x" : v
              })}`,
            )
            for (const [k, v] of Object.entries(query)) url.searchParams.set(k, asQuery(v))
            const init: RequestInit = { method: method.toUpperCase(), headers: { ...target.headers } }
            if (body !== undefined) {
              init.body = body instanceof Uint8Array ? body : JSON.stringify(body)
              ;(init.headers as Record<string, string>)["content-type"] = body instanceof Uint8Array ? "application/octet-stream" : "application/json"
            }
            if (target.sign && init.method !== "GET")
              Object.assign(init.headers as Record<string, string>, await target.sign(init.method!, url, init.body as string | Uint8Array | undefined))
            const before = fingerprint(target.db)
            const call = (async () => {
              const res = await target.app.handle(new Request(url.href, init))
              // A stream answers its headers and goes on: it is enough that it started.
              if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
                await res.body?.cancel()
                return { res, text: "" }
              }
              return { res, text: await res.text() }
            })()
            const answered = await Promise.race([call, Bun.sleep(timeoutMs).then(() => undefined)])
            const res = answered?.res
            const what = `${method.toUpperCase()} ${url.pathname}${url.search} body ${JSON.stringify(body === undefined ? null : body instanceof Uint8Array ? `${body.length} bytes` : body)?.slice(0, 300)}`
            if (!res) throw new Error(`no answer within ${timeoutMs} ms: ${what}`)
            statuses[`${Math.floor(res.status / 100)}xx`] = (statuses[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1
            if (res.status >= 500 && res.status !== 503 && res.status !== 507) throw new Error(`${res.status}: ${what}`)
            // Every answer is one the document describes, in the shape it describes.
            const documented = op.responses?.[String(res.status)]
            if (!documented) throw new Error(`answered ${res.status}, which the document does not list for it: ${what}`)
            const schema = documented.content?.["application/json"]?.schema
            if (schema && res.headers.get("content-type")?.includes("json")) {
              const bad = misfit(JSON.parse(answered.text), schema, target.doc)
              if (bad) throw new Error(`answered ${res.status} unlike its document: ${bad}: ${what}`)
            }
            const after = fingerprint(target.db)
            if (res.status >= 400) {
              const touched = changed(before, after).filter((t) => !target.recordsRefusals?.includes(t))
              if (touched.length) throw new Error(`a refused request (${res.status}) changed ${touched.join(", ")}: ${what}`)
            }
            const forbidden = changed(before, after).filter((t) => guardedHere.includes(t))
            if (forbidden.length) throw new Error(`${tag} changed ${forbidden.join(", ")}, which it may not touch: ${what}`)
          }),
          { numRuns: opts.runs, seed: opts.seed + operations, endOnFailure: false, verbose: 0 },
        )
      } catch (err) {
        const cause = (err as Error).cause instanceof Error ? `\n${((err as Error).cause as Error).message}` : ""
        throw new Error(
          `fuzz of ${method.toUpperCase()} ${path} failed; run again with HIVE_FUZZ_SEED=${opts.seed}${cause.slice(0, 2000)}\n${(err as Error).message.slice(0, 2000)}`,
        )
      }
    }
  expect(requests).toBeGreaterThan(0)
  return { operations, requests, statuses }
}
