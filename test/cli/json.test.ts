import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import { cliEnv, hive, MAIN } from "../helpers"
import { type Document, misfit } from "../routes/fuzz-harness"
import { CLI_REPORTS } from "../../src/routes/responses"
import { startServer } from "./serve-helper"

// `--json` on the commands that read the data home itself: each prints what the matching route answers (and
// is checked against the schema the server's OpenAPI document gives it, and against the route's own answer),
// or, where no route answers the same, the report schema of src/routes/responses.ts.

let server: Awaited<ReturnType<typeof startServer>>
let env: Record<string, string>
let doc: Document
let admin: string

const get = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()

async function json(args: string[], code = 0, stdin?: string) {
  const res = await hive(args, env, stdin)
  expect(res.stderr).toBe("")
  expect(res.code).toBe(code)
  return JSON.parse(res.stdout)
}

function fitsRoute(value: unknown, route: string) {
  const [method, path] = route.split(" ") as [string, string]
  const schema = doc.paths[path]?.[method.toLowerCase()]?.responses?.["200"]?.content?.["application/json"]?.schema
  expect(schema).toBeDefined()
  expect(misfit(value, schema!, doc)).toBeUndefined()
}

const fitsReport = (value: unknown, report: keyof typeof CLI_REPORTS) =>
  expect(misfit(value, CLI_REPORTS[report] as unknown as Record<string, unknown>, doc)).toBeUndefined()

beforeAll(async () => {
  env = cliEnv()
  server = await startServer(["bun", MAIN], env)
  admin = (await hive(["token", "create", "--name", "json-test"], env)).stdout.trim()
  doc = (await get("/openapi")) as Document
  expect((await hive(["secrets", "set", "deploy_key"], env, "s3cret-value\n")).code).toBe(0)
  expect((await hive(["oauth", "set", "github", "--account", "me"], env, "gho_access\n")).code).toBe(0)
  expect((await hive(["backup"], env)).code).toBe(0)
})

afterAll(() => server?.proc.kill())

describe("--json of the data home's own lists is what the API answers", () => {
  test("token list: the documented answer of GET /api/tokens, the same rows, and no token in it", async () => {
    const listed = await json(["token", "list", "--json"])
    fitsRoute(listed, "GET /api/tokens")
    expect(listed).toEqual(await get("/api/tokens"))
    expect(listed.items.map((t: { name: string }) => t.name)).toEqual(["json-test"])
    expect(JSON.stringify(listed)).not.toContain(admin.split(".")[2]!)
  })

  test("jobs, secrets, oauth, devices, backups and the tunnel: each the documented answer of its route", async () => {
    const cases = [
      [["jobs", "list", "--json"], "GET /api/jobs"],
      [["secrets", "list", "--json"], "GET /api/secrets"],
      [["oauth", "list", "--json"], "GET /api/oauth"],
      [["devices", "list", "--json"], "GET /api/devices"],
      [["backup", "list", "--json"], "GET /api/backups"],
    ] as const
    const tunnel = await hive(["tunnel", "status", "--json"], env)
    expect(tunnel.code).toBe(1) // no tunnel was asked for: down
    fitsRoute(JSON.parse(tunnel.stdout), "GET /api/tunnel")
    for (const [args, route] of cases) {
      const value = await json([...args])
      fitsRoute(value, route)
      const api = (await get(route.split(" ")[1]!)) as { items: unknown[] }
      if (route !== "GET /api/jobs") expect(value.items).toEqual(api.items)
    }
    expect((await json(["secrets", "list", "--json"])).items.map((s: { name: string }) => s.name)).toEqual(["deploy_key"])
    expect(JSON.stringify(await json(["secrets", "list", "--json"]))).not.toContain("s3cret-value")
    expect(JSON.stringify(await json(["oauth", "list", "--json"]))).not.toContain("gho_access")
    expect((await json(["backup", "list", "--json"])).items).toHaveLength(1)
  })
})

describe("--json reports", () => {
  test("doctor and migrate status", async () => {
    const doctor = await hive(["doctor", "--json"], env)
    const findings = JSON.parse(doctor.stdout)
    fitsReport(findings, "hive doctor")
    expect(doctor.code).toBe(findings.problems ? 1 : 0)
    expect(findings.findings.map((f: { check: string }) => f.check)).toContain("database")
    const status = await json(["migrate", "status", "--json"])
    fitsReport(status, "hive migrate status")
    expect(status.migrations.every((m: { state: string }) => m.state === "applied")).toBe(true)
    expect(status.schema_version).toBe(status.known)
  })

  test("export --out --json and import --json", async () => {
    await fetch(`${server.url}/api/projects`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "exported", directory: "/work/exported" }),
    })
    const file = join(env.HIVE_HOME!, "..", "export.jsonl")
    const exported = await json(["export", "--out", file, "--json"])
    fitsReport(exported, "hive export")
    expect(exported.tables.projects).toBe(1)
    const other = cliEnv()
    const imported = JSON.parse((await hive(["import", file, "--json"], other)).stdout)
    fitsReport(imported, "hive import")
    expect(imported.tables.projects).toMatchObject({ inserted: 1, failed: 0 })
    expect(imported.records).toBe(exported.records)
  })

  test("--json where it prints nothing to read is a usage error", async () => {
    for (const args of [
      ["token", "revoke", "x", "--json"],
      ["jobs", "run", "vacuum", "--json"],
      ["migrate", "--json"],
      ["export", "--json"],
      ["backup", "--json"],
    ]) {
      const res = await hive(args, env)
      expect(res.code).toBe(2)
      expect(res.stderr).toContain("--json")
    }
  })
})
