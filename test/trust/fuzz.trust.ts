import { test } from "bun:test"
import { fuzz } from "../routes/fuzz-harness"
import { fuzzSeed, fuzzTargets } from "../routes/fuzz-setup"

// The long run of the OpenAPI fuzz (make test runs 40 requests an operation; this, 400).
test("a long fuzz of every documented operation of both listeners", async () => {
  const seed = fuzzSeed()
  const runs = Number(process.env.HIVE_FUZZ_RUNS ?? 400)
  const { admin, phone } = await fuzzTargets()
  const a = await fuzz(admin, { runs, seed })
  const p = await fuzz(phone, { runs, seed })
  console.log(`fuzz: seed ${seed}; ${a.operations + p.operations} operations, ${a.requests + p.requests} requests, no 5xx, no hang; admin ${JSON.stringify(a.statuses)}, phone ${JSON.stringify(p.statuses)}`)
}, 900_000)
