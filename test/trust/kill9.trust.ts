// make test-trust: slower proofs that hive keeps its promises under faults (issue 9). Run by .ci/run too.
import { Database } from "bun:sqlite"
import { expect, test } from "bun:test"
import { join } from "node:path"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN } from "../helpers"

const TRIALS = Number(process.env.TRUST_KILL9_TRIALS ?? 20)
const WRITERS = 8

test(`kill -9 under write load: every acknowledged write survives (${TRIALS} trials)`, async () => {
  const env = cliEnv()
  const token = (await hive(["token", "create", "--name", "trust"], env)).stdout.trim()
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  let acknowledged = 0
  let lost = 0
  for (let trial = 0; trial < TRIALS; trial++) {
    const server = await startServer(["bun", MAIN], env)
    const acked: { id: number; tag: string }[] = []
    let stop = false
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const tag = `${trial}-${w}-${n}`
        try {
          // Every third write is a small batch: both paths must keep what they acknowledge.
          if (n % 3 === 2) {
            const res = await fetch(`${server.url}/api/events/batch`, { method: "POST", headers, body: JSON.stringify({ events: [0, 1, 2].map((i) => ({ kind: "trust", payload: { tag: `${tag}.${i}` } })) }) })
            if (res.status === 201) {
              const body = (await res.json()) as { first_id: number }
              for (let i = 0; i < 3; i++) acked.push({ id: body.first_id + i, tag: `${tag}.${i}` })
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
  console.log(`kill-9: ${TRIALS} trials, ${acknowledged} acknowledged, ${lost} lost`)
  expect(lost).toBe(0)
}, 600_000)
