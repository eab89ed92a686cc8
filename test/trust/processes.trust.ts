import { Database } from "bun:sqlite"
import { expect, test } from "bun:test"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN } from "../helpers"

const HOOKS_PER_PROCESS = 20
const SECRETS = 12
const MIGRATES = 6
const HTTP_EVENTS = 600

test("several processes, one database: the server and four CLI processes write at once; exact counts, no busy error", async () => {
  const env = cliEnv()
  const token = (await hive(["token", "create", "--name", "trust"], env)).stdout.trim()
  const server = await startServer(["bun", MAIN], env)
  const failures: string[] = []
  try {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    const http = (async () => {
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let n = 0; n < HTTP_EVENTS / 8; n++) {
            const res = await fetch(`${server.url}/api/events`, { method: "POST", headers, body: JSON.stringify({ kind: "http", payload: { w, n } }) })
            if (res.status !== 201) failures.push(`http ${res.status} ${await res.text()}`)
          }
        }),
      )
    })()
    const hooks = (p: number) =>
      (async () => {
        for (let n = 0; n < HOOKS_PER_PROCESS; n++) {
          const input = JSON.stringify({ session_id: `proc-${p}-${n}`, hook_event_name: "SessionStart", cwd: `/work/p${p}` })
          const r = await hive(["hook"], env, input)
          if (r.code !== 0 || r.stderr) failures.push(`hook ${r.code} ${r.stderr}`)
        }
      })()
    const secrets = (async () => {
      for (let n = 0; n < SECRETS; n++) {
        const r = await hive(["secrets", "set", `trust_${n}`], env, `value-${n}`)
        if (r.code !== 0) failures.push(`secrets ${r.code} ${r.stderr}`)
      }
    })()
    const migrate = (async () => {
      for (let n = 0; n < MIGRATES; n++) {
        const r = await hive(["migrate"], env)
        if (r.code !== 0) failures.push(`migrate ${r.code} ${r.stderr}`)
      }
    })()
    await Promise.all([http, hooks(1), hooks(2), secrets, migrate])
  } finally {
    server.proc.kill("SIGTERM")
    await server.proc.exited
  }
  expect(failures).toEqual([])
  expect(server.log()).not.toContain("SQLITE_BUSY")
  const hookLog = join(env.HIVE_HOME, "logs", "hook.log")
  expect(existsSync(hookLog) ? readFileSync(hookLog, "utf8") : "").toBe("")
  const db = new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
  const count = (sql: string) => (db.query(sql).get() as { n: number }).n
  const rows = {
    http: count("SELECT count(*) AS n FROM events WHERE kind = 'http'"),
    hooks: count("SELECT count(*) AS n FROM events WHERE kind = 'claude.SessionStart'"),
    sessions: count("SELECT count(*) AS n FROM sessions"),
    secrets: count("SELECT count(*) AS n FROM secrets"),
  }
  db.close()
  expect(rows).toEqual({ http: HTTP_EVENTS, hooks: 2 * HOOKS_PER_PROCESS, sessions: 2 * HOOKS_PER_PROCESS, secrets: SECRETS })
  console.log(`processes: 1 server + 4 CLI processes, ${HTTP_EVENTS + 2 * HOOKS_PER_PROCESS + SECRETS} writes, exact counts, 0 busy errors`)
}, 300_000)
