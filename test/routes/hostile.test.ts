import { expect, test } from "bun:test"
import { testApp } from "../helpers"

// A first sweep of issue 9's hostile-input promise: every route, malformed bodies, params and queries.
const BODIES: (string | undefined)[] = [
  undefined, "", "null", "[]", "{}", '"x"', "\u0000", "{not json", '{"id":null}', '{"value":123}',
  '{"payload":{"a":[[[[[[[[[[1]]]]]]]]]]}}', JSON.stringify({ id: "x".repeat(5000), target: "t" }), '{"id":"a","target":"b"}',
  '{"events":[{}]}', '{"kind":"x","ts":-5}', '{"answer":[]}', '{"status":"approved"}', '{"name":"a","directory":"/a","settings":null}',
]
const QUERIES = ["", "?limit=-1", "?limit=1e9", "?since=99999999999999999999", "?cursor=%ff", "?purge=maybe", "?notify=2"]

test("no route answers malformed input with a 500", async () => {
  const { app, headers } = await testApp()
  const failures: string[] = []
  for (const route of app.routes) {
    const path = route.path.replace(/:(\w+)/g, (_, p) => (p === "key" ? "k%00%2F" : "x"))
    for (const body of ["GET", "DELETE"].includes(route.method) ? [undefined] : BODIES)
      for (const query of QUERIES) {
        const res = await app.handle(new Request(`http://localhost${path}${query}`, { method: route.method, headers: { ...headers, "content-type": "application/json" }, body }))
        if (route.path.endsWith("/stream")) await res.body?.cancel()
        else if (res.status >= 500) failures.push(`${route.method} ${path}${query} ${JSON.stringify(body)?.slice(0, 40)} -> ${res.status} ${(await res.text()).slice(0, 120)}`)
      }
  }
  expect(failures).toEqual([])
}, 120_000)
