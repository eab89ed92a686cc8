// make test-trust: slower proofs that hive keeps its promises under faults (issue 9). Run by .ci/run too.
import { Database } from "bun:sqlite"
import { expect, test } from "bun:test"
import { join } from "node:path"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN } from "../helpers"

const TRIALS = Number(process.env.TRUST_KILL9_TRIALS ?? 20)
const WRITERS = 8
// Batches this size pour in fast enough that the event-ingest worker writes most of them (db/ingest.ts).
const BATCH = 100

test(`kill -9 under write load: every acknowledged write survives (${TRIALS} trials)`, async () => {
  const env = cliEnv()
  const token = (await hive(["token", "create", "--name", "trust"], env)).stdout.trim()
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  let acknowledged = 0
  let lost = 0
  let offThread = 0
  for (let trial = 0; trial < TRIALS; trial++) {
    const server = await startServer(["bun", MAIN], { ...env, HIVE_LOG_LEVEL: "debug" })
    const acked: { id: number; tag: string }[] = []
    let stop = false
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const tag = `${trial}-${w}-${n}`
        try {
          // Every third write is a batch: every path (group commit, ingest worker) must keep what it acknowledges.
          if (n % 3 === 2) {
            const events = Array.from({ length: BATCH }, (_, i) => ({ kind: "trust", payload: { tag: `${tag}.${i}` } }))
            const res = await fetch(`${server.url}/api/events/batch`, { method: "POST", headers, body: JSON.stringify({ events }) })
            if (res.status === 201) {
              const body = (await res.json()) as { first_id: number }
              for (let i = 0; i < BATCH; i++) acked.push({ id: body.first_id + i, tag: `${tag}.${i}` })
            }
          } else {
            const res = await fetch(`${server.url}/api/events`, { method: "POST", headers, body: JSON.stringify({ kind: "trust", payload: { tag } }) })
            if (res.status === 201) acked.push({ id: ((await res.json()) as { id: number }).id, tag })
          }
        } catch {
          return // the server is gone
        }
      }
    }
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w))
    await Bun.sleep(150 + Math.random() * 600)
    server.proc.kill("SIGKILL")
    await server.proc.exited
    stop = true
    await Promise.all(writers)
    if (server.log().includes("written on a worker thread")) offThread++

    const db = new Database(join(env.HIVE_HOME, "hive.db"))
    try {
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" })
      const find = db.query<{ tag: string }, [number]>("SELECT json_extract(payload, '$.tag') AS tag FROM events WHERE id = ?")
      for (const a of acked) if (find.get(a.id)?.tag !== a.tag) lost++
    } finally {
      db.close()
    }
    acknowledged += acked.length
    expect(acked.length).toBeGreaterThan(0)
  }
  console.log(`kill-9: ${TRIALS} trials (${offThread} with batches on the ingest worker), ${acknowledged} acknowledged, ${lost} lost`)
  expect(lost).toBe(0)
  // The worker's path is under test too, not only the server's group commit.
  expect(offThread).toBeGreaterThan(0)
}, 600_000)
