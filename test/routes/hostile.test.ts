import { expect, test } from "bun:test"
import { testApp } from "../helpers"

// A first sweep of issue 9's hostile-input promise: every route, malformed bodies, params and queries.
const BODIES: (string | undefined)[] = [
  undefined,
  "",
  "null",
  "[]",
  "{}",
  '"x"',
  "\u0000",
  "{not json",
  '{"id":null}',
  '{"value":123}',
  '{"payload":{"a":[[[[[[[[[[1]]]]]]]]]]}}',
  JSON.stringify({ id: "x".repeat(5000), target: "t" }),
  '{"id":"a","target":"b"}',
  '{"events":[{}]}',
  '{"kind":"x","ts":-5}',
  '{"answer":[]}',
  '{"status":"approved"}',
  '{"name":"a","directory":"/a","settings":null}',
]
// Raw bytes that are not text, JSON nested deeper than any parser should recurse, and a body over the limit.
const RAW: (string | Uint8Array)[] = [
  new Uint8Array([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
  "[".repeat(10_000) + "]".repeat(10_000),
  `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`,
  JSON.stringify({ value: "x".repeat(70 * 1024) }),
]
const HEADERS: Record<string, string>[] = [
  { "last-event-id": "-1" },
  { "last-event-id": "9".repeat(40) },
  { range: "bytes=zzz" },
  { range: "bytes=5-1,7-9" },
  { "content-type": "text/plain; charset=utf-16" },
  { accept: "*/*;q=nonsense", "x-forwarded-for": "1.2.3.4, garbage" },
]
const QUERIES = ["", "?limit=-1", "?limit=1e9", "?since=99999999999999999999", "?cursor=%ff", "?purge=maybe", "?notify=2"]

test("no route answers malformed input with a 500", async () => {
  const { app, headers } = await testApp()
  const failures: string[] = []
  for (const route of app.routes) {
    const path = route.path.replace(/:(\w+)/g, (_, p) => (p === "key" ? "k%00%2F" : "x"))
    for (const body of ["GET", "DELETE"].includes(route.method) ? [undefined] : BODIES)
      for (const query of QUERIES) {
        const res = await app.handle(
          new Request(`http://localhost${path}${query}`, { method: route.method, headers: { ...headers, "content-type": "application/json" }, body }),
        )
        if (route.path.endsWith("/stream")) await res.body?.cancel()
        else if (res.status >= 500)
          failures.push(`${route.method} ${path}${query} ${JSON.stringify(body)?.slice(0, 40)} -> ${res.status} ${(await res.text()).slice(0, 120)}`)
      }
  }
  expect(failures).toEqual([])
}, 120_000)

test("raw non-UTF-8 bytes, very deep JSON, oversized bodies and odd headers: never a 500; over the limit is a 413", async () => {
  const { app, headers } = await testApp()
  const failures: string[] = []
  for (const route of app.routes) {
    const path = route.path.replace(/:(\w+)/g, "x")
    const bodies = ["GET", "DELETE"].includes(route.method) ? [undefined] : RAW
    for (const body of bodies)
      for (const extra of [{}, ...HEADERS]) {
        const res = await app.handle(
          new Request(`http://localhost${path}`, { method: route.method, headers: { ...headers, "content-type": "application/json", ...extra }, body }),
        )
        if (route.path.endsWith("/stream")) await res.body?.cancel()
        // Uploads and Claude Code's http hooks (a big Write makes a big input) have limits of their own.
        const oversized = typeof body === "string" && body.length > 64 * 1024 && !path.endsWith("/artifacts") && !path.endsWith("/hooks/claude/http")
        // A body not declared as JSON is refused (415) before it is read, so it never gets to be too large.
        if (res.status >= 500 || (oversized && res.status !== 413 && res.status !== 401 && res.status !== 415))
          failures.push(
            `${route.method} ${path} ${JSON.stringify(extra)} body ${String(body).slice(0, 20)} -> ${res.status} ${(await res.text()).slice(0, 120)}`,
          )
      }
  }
  expect(failures).toEqual([])
}, 120_000)

test("a body nested more than 100 levels deep is a clear 400; 100 levels pass the check", async () => {
  const { call } = await testApp()
  const nest = (levels: number) => `{"kind":"deep","payload":${"[".repeat(levels - 1)}1${"]".repeat(levels - 1)}}`
  const tooDeep = await call("POST", "/api/events", nest(101))
  expect(tooDeep.status).toBe(400)
  expect(tooDeep.body.error.message).toBe("the request body is nested deeper than 100 levels")
  const deepest = await call("POST", "/api/events", nest(100))
  expect(deepest.status).toBe(201)
})
