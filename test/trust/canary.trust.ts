import { expect, test } from "bun:test"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN, tempDir } from "../helpers"

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
}

test("plaintext canaries through every flow never reach the database, WAL, backups, exports or logs", async () => {
  const run = Math.random().toString(36).slice(2, 10)
  const canary = (n: number) => `canary-${run}-${n}-plaintext`
  const env = { ...cliEnv(), HIVE_LOG_LEVEL: "debug" }
  const legacy = join(tempDir(), "claude-hooks")
  mkdirSync(join(legacy, "tokens"), { recursive: true })
  const scanned: string[] = []
  const logs: string[] = []
  const ok = async (args: string[], stdin?: string, extra: Record<string, string> = {}) => {
    const r = await hive(args, { ...env, ...extra }, stdin)
    logs.push(r.stderr)
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0)
    return r
  }

  await ok(["secrets", "set", "api_key"], canary(1)) // set
  await ok(["secrets", "set", "api_key"], canary(2)) // update: the first value must be gone
  await ok(["secrets", "set", "temporary"], canary(3))
  await ok(["secrets", "rm", "temporary"]) // delete
  await ok(["oauth", "set", "gitlab"], `${canary(4)}\n${canary(5)}\n`)
  writeFileSync(join(legacy, "tokens", "alice"), canary(6))
  await ok(["migrate", "--legacy-config-dir", legacy]) // legacy import, then the file is deleted
  expect(existsSync(join(legacy, "tokens", "alice"))).toBe(false)
  await ok(["secrets", "rotate-key"]) // every value re-sealed under a new generation
  await ok(["backup"])
  await ok(["backup", "--encrypt"])
  const exportFile = join(env.HIVE_HOME, "export.jsonl")
  await ok(["export", "--out", exportFile])
  await ok(["export", "--secrets", "omit", "--out", `${exportFile}.omit`])
  await ok(["jobs", "run", "prune-stale"])
  await ok(["jobs", "run", "vacuum"])

  // The server at debug level: a secret set and revealed through the API, by a client that logs nothing.
  const token = (await ok(["token", "create", "--name", "canary"])).stdout.trim()
  const server = await startServer(["bun", MAIN], env)
  try {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    expect((await fetch(`${server.url}/api/secrets/from_api`, { method: "PUT", headers, body: JSON.stringify({ value: canary(7) }) })).status).toBe(200)
    expect(((await (await fetch(`${server.url}/api/secrets/from_api/value`, { headers })).json()) as { value: string }).value).toBe(canary(7))
    expect((await fetch(`${server.url}/api/secrets/api_key/value`, { headers })).status).toBe(200)
    expect((await fetch(`${server.url}/api/secrets/nope/value`, { headers: { ...headers, authorization: `Bearer ${canary(8)}` } })).status).toBe(401)
    await fetch(`${server.url}/api/jobs/backup/run`, { method: "POST", headers })
  } finally {
    server.proc.kill("SIGTERM")
    await server.proc.exited
  }
  logs.push(server.log())

  // The raw bytes: database and WAL (after the server's own clean close), every backup, both exports, every log.
  for (const f of [...files(env.HIVE_HOME), ...files(legacy)]) scanned.push(f)
  const haystacks = [...scanned.map((f) => ({ where: f, bytes: readFileSync(f) })), ...logs.map((l, i) => ({ where: `log ${i}`, bytes: Buffer.from(l) }))]
  const hits: string[] = []
  for (const { where, bytes } of haystacks) for (let n = 1; n <= 8; n++) if (bytes.includes(canary(n))) hits.push(`${canary(n)} in ${where}`)
  expect(scanned.some((f) => f.endsWith("hive.db"))).toBe(true)
  expect(scanned.filter((f) => f.includes("/backups/")).length).toBeGreaterThanOrEqual(3)
  console.log(
    `canary: 8 canaries, ${haystacks.length} files and logs scanned (${haystacks.reduce((n, h) => n + h.bytes.length, 0)} bytes), ${hits.length} hits`,
  )
  expect(hits).toEqual([])
  expect(statSync(exportFile).size).toBeGreaterThan(0)
}, 300_000)
