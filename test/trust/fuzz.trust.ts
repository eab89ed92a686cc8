import { test } from "bun:test"
import { fuzz } from "../routes/fuzz-harness"
import { fuzzSeed, fuzzTargets } from "../routes/fuzz-setup"

// The long run of the OpenAPI fuzz: make test runs one round of 40 requests an operation; this, ten rounds,
// each over a fresh database (the check that a refusal changed nothing reads every table, so each round
// keeps the tables small).
test("a long fuzz of every documented operation of both listeners", async () => {
  const seed = fuzzSeed()
  const rounds = Number(process.env.HIVE_FUZZ_ROUNDS ?? 10)
  let requests = 0
  let operations = 0
  for (let round = 0; round < rounds; round++) {
    const { admin, phone } = await fuzzTargets()
    const a = await fuzz(admin, { runs: 40, seed: seed + round * 1000 })
    const p = await fuzz(phone, { runs: 40, seed: seed + round * 1000 })
    requests += a.requests + p.requests
    operations = a.operations + p.operations
  }
  console.log(`fuzz: seed ${seed}; ${rounds} rounds over ${operations} operations, ${requests} requests: no 5xx, no hang, no refusal changed a row`)
}, 600_000)
