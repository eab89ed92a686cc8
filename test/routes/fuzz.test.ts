import { expect, test } from "bun:test"
import { fuzz, undocumented } from "./fuzz-harness"
import { fuzzSeed, fuzzTargets } from "./fuzz-setup"

// The short run, for `make test`; test/trust/fuzz.trust.ts runs the same with many more requests per operation.

test("every route of both listeners is in its OpenAPI document, with the answers it gives", async () => {
  const { admin, phone } = await fuzzTargets()
  expect(undocumented(admin.app, admin.doc)).toEqual([])
  expect(undocumented(phone.app, phone.doc)).toEqual([])
  // Every operation says what it answers when it works (src/routes/responses.ts); the fuzz holds each answer to it.
  const silent = [admin.doc, phone.doc].flatMap((doc) =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !Object.keys(op.responses ?? {}).some((s) => s.startsWith("2")))
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    ),
  )
  expect(silent).toEqual([])
})

test("a fuzz of every documented operation: no 5xx, no hang, a refusal changes nothing, credentials untouched", async () => {
  const seed = fuzzSeed()
  const { admin, phone } = await fuzzTargets()
  const a = await fuzz(admin, { runs: 40, seed })
  const p = await fuzz(phone, { runs: 40, seed })
  console.log(
    `fuzz: seed ${seed}; ${a.operations + p.operations} operations, ${a.requests + p.requests} requests; admin ${JSON.stringify(a.statuses)}, phone ${JSON.stringify(p.statuses)}`,
  )
}, 120_000)
