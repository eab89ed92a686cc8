import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { open } from "../../src/db/open"
import { TABLES } from "../../src/db/portable"
import { createStores } from "../../src/db/stores"
import { cliEnv, hive, tempDir } from "../helpers"

const KEY = Buffer.alloc(32, 7).toString("base64")
const CANARY = "canary-export-0c5b1e77"

/** A home with a row in every exported table (secrets sealed with KEY), and the project's and session's ids. */
async function populated() {
  const env = { ...cliEnv(), HIVE_MASTER_KEY: KEY }
  expect((await hive(["secrets", "set", "token"], env, CANARY)).code).toBe(0)
  expect((await hive(["oauth", "set", "gitlab"], env, `${CANARY}-oauth\n`)).code).toBe(0)
  const db = open(join(env.HIVE_HOME, "hive.db"))
  const s = createStores(db)
  const project = s.projects.create({ name: "p", directory: "/p" })
  const other = s.projects.create({ name: "other", directory: "/other" })
  const session = s.sessions.create({ project_id: project.id, name: "s" })
  const otherSession = s.sessions.create({ project_id: other.id, name: "elsewhere" })
  s.worktrees.create({ project_id: project.id, path: "/p/wt", branch: "main" })
  s.preferences.put("theme", { dark: true })
  s.agents.create("alice")
  s.broker.send("alice", "operator", "hello")
  s.broker.requestApproval({ agent: "alice", kind: "spawn" })
  s.broker.ask({ asker: "alice", target: null, question: "?", options: ["a"], multi: false, deadlineAt: null })
  s.commands.enqueue({ id: "c1", target: "alice", payload: { do: 1 } })
  s.events.append({ kind: "mine", session_id: session.id })
  s.events.append({ kind: "theirs", session_id: otherSession.id })
  s.turnStats.record({ agent: "alice", started_at: 1, ended_at: 2 })
  s.sdkSessions.set("gitlab:alice:r:1", "sdk-1")
  db.close()
  return { env, project, session }
}

const counts = (home: string) => {
  const db = new Database(join(home, "hive.db"), { readonly: true })
  const out = Object.fromEntries(TABLES.map((t) => [t.name, (db.query(`SELECT count(*) AS n FROM ${t.name}`).get() as { n: number }).n]))
  db.close()
  return out
}

describe("hive export and import", () => {
  test("everything round-trips into a new home with the same key; secrets stay sealed in the file and open after", async () => {
    const { env } = await populated()
    const file = join(tempDir(), "all.jsonl")
    const exported = await hive(["export", "--out", file], env)
    expect(exported.code).toBe(0)
    const text = readFileSync(file, "utf8")
    expect(text).not.toContain(CANARY)
    expect(text.trim().split("\n").at(-1)).toBe(`{"end":true,"records":${text.trim().split("\n").length - 2}}`)

    const fresh = { ...cliEnv(), HIVE_MASTER_KEY: KEY }
    const imported = await hive(["import", file], fresh)
    expect(imported.stderr).toBe("")
    expect(imported.code).toBe(0)
    // The import itself is audited: one entry more than the file holds.
    const source = counts(env.HIVE_HOME)
    expect(counts(fresh.HIVE_HOME)).toEqual({ ...source, audit_log: source.audit_log! + 1 })

    const again = await hive(["import", file], fresh)
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/inserted|replaced|skipped|failed/)
    expect(counts(fresh.HIVE_HOME)).toEqual({ ...source, audit_log: source.audit_log! + 2 })
    // Imported events are searchable (they arrive below the search index's cursor).
    const db = open(join(fresh.HIVE_HOME, "hive.db"))
    const search = createStores(db).search
    while (search.indexStep() > 0);
    expect(search.search("theirs", {}, 10, 0).map((h) => h.kind)).toEqual(["event"])
    db.close()
    expect((await hive(["secrets", "get", "token"], fresh)).stdout).toBe(CANARY)
    expect((await hive(["oauth", "get", "gitlab"], fresh)).stdout).toContain(`${CANARY}-oauth`)
  })

  test("events imported below what search has indexed are found", async () => {
    const { env } = await populated()
    const file = join(tempDir(), "all.jsonl")
    expect((await hive(["export", "--out", file], env)).code).toBe(0)
    const db = open(join(env.HIVE_HOME, "hive.db"))
    const search = createStores(db).search
    while (search.indexStep() > 0);
    db.run("DELETE FROM events WHERE kind = 'mine'") // the oldest event: the cursor stays past it
    expect(search.search("mine", {}, 10, 0)).toEqual([])
    // The other five: three events and the session.changed of each session's creation.
    expect((await hive(["import", file], env)).stdout).toMatch(/events\s+1 inserted, 5 unchanged/)
    while (search.indexStep() > 0);
    expect(search.search("mine", {}, 10, 0).map((h) => h.kind)).toEqual(["event"])
    db.close()
  })

  test("a conflict keeps what is stored by default, or takes the file's row with --on-conflict replace", async () => {
    const { env, project } = await populated()
    const file = join(tempDir(), "p.jsonl")
    expect((await hive(["export", "--project", project.id, "--out", file], env)).code).toBe(0)
    const db = open(join(env.HIVE_HOME, "hive.db"))
    db.run("UPDATE projects SET name = 'renamed here' WHERE id = ?", [project.id])
    db.close()
    const name = () =>
      (new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true }).query("SELECT name FROM projects WHERE id = ?").get(project.id) as { name: string })
        .name
    const skipped = await hive(["import", file], env)
    expect(skipped.stdout).toMatch(/projects\s+1 skipped/)
    expect(name()).toBe("renamed here")
    const replaced = await hive(["import", file, "--on-conflict", "replace"], env)
    expect(replaced.stdout).toMatch(/projects\s+1 replaced/)
    expect(name()).toBe("p")
  })

  test("a project or a session export holds only its own rows; --secrets omit leaves secrets out", async () => {
    const { env, project, session } = await populated()
    const tables = async (args: string[]) => {
      const r = await hive(["export", ...args], env)
      expect(r.code).toBe(0)
      const lines = r.stdout
        .trim()
        .split("\n")
        .slice(1, -1)
        .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> })
      return lines.map((l) => `${l.table}:${l.row.name ?? l.row.kind ?? l.row.path}`)
    }
    expect(await tables(["--project", project.id])).toEqual(["projects:p", "sessions:s", "worktrees:/p/wt", "events:session.changed", "events:mine"])
    expect(await tables(["--session", session.id])).toEqual(["projects:p", "sessions:s", "events:session.changed", "events:mine"])
    const all = await tables(["--secrets", "omit"])
    expect(all.some((t) => t.startsWith("secrets:") || t.startsWith("operator_oauth_tokens:"))).toBe(false)
    expect(all).toContain("events:theirs")
    const missing = await hive(["export", "--project", "nope"], env)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe("hive: project nope not found\n")
  })

  test("a damaged file is refused before anything is written, naming the line", async () => {
    const { env } = await populated()
    const good = (await hive(["export"], env)).stdout
    const lines = good.trim().split("\n")
    const fresh = { ...cliEnv(), HIVE_MASTER_KEY: KEY }
    expect((await hive(["migrate"], fresh)).code).toBe(0)
    const before = counts(fresh.HIVE_HOME)
    const cases: [string, string, string][] = [
      ["cut short", lines.slice(0, -2).join("\n"), "it was cut short"],
      ["a broken line", [...lines.slice(0, 3), "{oops", ...lines.slice(3)].join("\n"), "line 4"],
      ["an unknown table", [...lines.slice(0, 2), '{"table":"api_tokens","row":{"id":"x"}}', ...lines.slice(2)].join("\n"), 'unknown table "api_tokens"'],
      [
        "an unknown column",
        [...lines.slice(0, 2), '{"table":"projects","row":{"id":"x","evil; DROP":1}}', ...lines.slice(2)].join("\n"),
        'projects has no column "evil; DROP"',
      ],
      ["a newer schema", [lines[0]!.replace(/"schema":\d+/, '"schema":999'), ...lines.slice(1)].join("\n"), "written by a newer hive"],
      ["not an export", "hello\n", "not a hive export"],
      ["miscounted", [...lines.slice(0, -1), '{"end":true,"records":1}'].join("\n"), "the end line counts 1 records"],
    ]
    for (const [what, content, message] of cases) {
      const file = join(tempDir(), "bad.jsonl")
      writeFileSync(file, content)
      const r = await hive(["import", file], fresh)
      expect(r.code, what).toBe(1)
      expect(r.stderr, what).toContain(message)
      expect(r.stderr, what).toContain("nothing was imported")
      expect(r.stderr, what).not.toContain("    at ")
    }
    expect(counts(fresh.HIVE_HOME)).toEqual(before)
  })

  test("a record that breaks a rule fails alone; secrets sealed with another key are left out and reported", async () => {
    const { env, session } = await populated()
    const text = (await hive(["export", "--session", session.id], env)).stdout
    const orphan = text
      .split("\n")
      .filter((l) => !l.includes('"table":"projects"'))
      .join("\n")
      .replace(/"records":(\d+)/, (_, n) => `"records":${Number(n) - 1}`)
    const file = join(tempDir(), "orphan.jsonl")
    writeFileSync(file, orphan)
    const fresh = cliEnv()
    const r = await hive(["import", file], fresh)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/sessions\s+1 failed/)
    expect(r.stdout).toMatch(/events\s+2 inserted/)
    expect(r.stdout).toContain("FOREIGN KEY constraint failed")

    const all = join(tempDir(), "all.jsonl")
    expect((await hive(["export", "--out", all], env)).code).toBe(0)
    const otherKey = await hive(["import", all], fresh)
    expect(otherKey.stdout).toMatch(/secrets\s+1 sealed with a master key this install does not have \(left out\)/)
    expect((await hive(["secrets", "list"], fresh)).stdout).not.toContain("token")
  })

  test("an event whose payload is not JSON fails alone (the table leaves that check to the ways in)", async () => {
    const { env, session } = await populated()
    const lines = (await hive(["export", "--session", session.id], env)).stdout.trimEnd().split("\n")
    const at = lines.findIndex((l) => l.includes('"table":"events"'))
    const record = JSON.parse(lines[at]!) as { table: string; row: { id: number; payload: string } }
    const good = { ...record, row: { ...record.row, id: record.row.id + 1000 } }
    lines[at] = JSON.stringify({ ...record, row: { ...record.row, payload: "{not json" } })
    lines.splice(at + 1, 0, JSON.stringify(good))
    lines[lines.length - 1] = lines.at(-1)!.replace(/"records":(\d+)/, (_, n) => `"records":${Number(n) + 1}`)
    const file = join(tempDir(), "bad-payload.jsonl")
    writeFileSync(file, `${lines.join("\n")}\n`)
    const fresh = cliEnv()
    const r = await hive(["import", file], fresh)
    expect(r.code).toBe(1)
    // The first event (the session's creation) made bad; its good copy and the other one go in.
    expect(r.stdout).toMatch(/events\s+2 inserted, 1 failed/)
    expect(r.stdout).toContain("events.payload is not valid JSON text")
    expect(r.stderr).not.toContain("    at ")
  })
})
