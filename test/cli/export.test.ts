import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { createBlobs } from "../../src/artifacts/blobs"
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
  const artifact = await storeArtifact(env.HIVE_HOME, s, session.id, LOG, { type: "log", name: "run.log", contentType: "text/plain" })
  db.close()
  return { env, project, session, artifact }
}

/** An artifact as an upload stores it: the file under artifacts/, then its row. */
const storeArtifact = (
  home: string,
  s: ReturnType<typeof createStores>,
  session: string,
  body: string | Uint8Array,
  a: { type: string; name: string; contentType: string },
) =>
  createBlobs(home).store(new Response(body).body, 1 << 30, { session, type: a.type, contentType: a.contentType }, async (placed) =>
    s.artifacts.add({ session_id: session, type: a.type, name: a.name, content_type: a.contentType, ...placed }),
  )

// A log, as agents upload them: stored gzipped, so its file travels in one part.
const LOG = Array.from({ length: 20_000 }, (_, i) => `line ${i}: all well\n`).join("")

const counts = (home: string) => {
  const db = new Database(join(home, "hive.db"), { readonly: true })
  const out = Object.fromEntries(TABLES.map((t) => [t.name, (db.query(`SELECT count(*) AS n FROM ${t.name}`).get() as { n: number }).n]))
  db.close()
  return out
}

describe("hive export and import", () => {
  test("everything round-trips into a new home with the same key; secrets stay sealed in the file and open after", async () => {
    const { env, artifact } = await populated()
    const file = join(tempDir(), "all.jsonl")
    const exported = await hive(["export", "--out", file], env)
    expect(exported.code).toBe(0)
    const text = readFileSync(file, "utf8")
    expect(text).not.toContain(CANARY)
    const fileLines = text
      .trim()
      .split("\n")
      .filter((l) => l.startsWith('{"file":')).length
    expect(fileLines).toBe(2) // the artifact's one part, and its size and sha256
    expect(text.trim().split("\n").at(-1)).toBe(`{"end":true,"records":${text.trim().split("\n").length - 2 - fileLines},"files":1}`)

    const fresh = { ...cliEnv(), HIVE_MASTER_KEY: KEY }
    const imported = await hive(["import", file], fresh)
    expect(imported.stderr).toBe("")
    expect(imported.code).toBe(0)
    expect(imported.stdout).toMatch(/artifact files\s+1 written/)
    // The artifact's file is back byte for byte, where its row says.
    expect(readFileSync(join(fresh.HIVE_HOME, artifact.path))).toEqual(readFileSync(join(env.HIVE_HOME, artifact.path)))
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
        .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown>; file?: string })
      return lines.map((l) => (l.file ? `file:${l.file.split("/")[2]}` : `${l.table}:${l.row.name ?? l.row.kind ?? l.row.path}`))
    }
    const files = ["file:log", "file:log"] // a part and its last line
    expect(await tables(["--project", project.id])).toEqual([
      "projects:p",
      "sessions:s",
      "worktrees:/p/wt",
      "artifacts:run.log",
      "events:session.changed",
      "events:mine",
      ...files,
    ])
    expect(await tables(["--session", session.id])).toEqual([
      "projects:p",
      "sessions:s",
      "artifacts:run.log",
      "events:session.changed",
      "events:mine",
      ...files,
    ])
    expect(await tables(["--session", session.id, "--artifacts", "omit"])).toEqual(["projects:p", "sessions:s", "events:session.changed", "events:mine"])
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

  test("--progress reports the checking and the writing as JSON lines on stderr", async () => {
    const { env } = await populated()
    const file = join(tempDir(), "all.jsonl")
    expect((await hive(["export", "--out", file], env)).code).toBe(0)
    const r = await hive(["import", file, "--progress", "--json"], { ...cliEnv(), HIVE_MASTER_KEY: KEY })
    expect(r.code).toBe(0)
    const progress = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).progress)
    const records = JSON.parse(r.stdout).records
    expect(progress.at(-1)).toEqual({ phase: "writing", done: records, fraction: 1 })
  })

  test("a large artifact travels in parts; a file missing from disk is reported by the export and by the import", async () => {
    const { env, session, artifact } = await populated()
    const db = open(join(env.HIVE_HOME, "hive.db"))
    const s = createStores(db)
    const big = crypto.getRandomValues(new Uint8Array(7 * 1024 * 1024 + 123))
    const blob = await storeArtifact(env.HIVE_HOME, s, session.id, big, { type: "bundle", name: "b.bin", contentType: "application/octet-stream" })
    db.close()
    rmSync(join(env.HIVE_HOME, artifact.path)) // the log's file is gone from disk
    const file = join(tempDir(), "s.jsonl")
    const exported = await hive(["export", "--session", session.id, "--out", file, "--json"], env)
    expect(exported.code).toBe(0)
    const report = JSON.parse(exported.stdout)
    expect(report).toMatchObject({ files: 1, missing_files: [artifact.path], tables: { artifacts: 2 } })
    const parts = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.startsWith(`{"file":"${blob.path}","data"`))
    expect(parts).toHaveLength(3) // 7 MiB in parts of 3 MiB

    const fresh = { ...cliEnv(), HIVE_MASTER_KEY: KEY }
    const imported = await hive(["import", file, "--json"], fresh)
    expect(imported.code).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ files: { written: 1, unchanged: 0, skipped: 0, failed: 0 }, missing_files: [artifact.path] })
    expect(new Uint8Array(readFileSync(join(fresh.HIVE_HOME, blob.path)))).toEqual(big)
    // Imported again: the file is already in place.
    expect(JSON.parse((await hive(["import", file, "--json"], fresh)).stdout).files).toMatchObject({ written: 0, unchanged: 1 })
  })

  test("a hostile export cannot write outside artifacts/, plant files no row owns, or place bytes that do not match", async () => {
    const { env, session, artifact } = await populated()
    const file = join(tempDir(), "s.jsonl")
    expect((await hive(["export", "--session", session.id, "--out", file], env)).code).toBe(0)
    const lines = readFileSync(file, "utf8").trim().split("\n")
    const write = (edit: (lines: string[]) => string[]) => {
      const out = join(tempDir(), "edited.jsonl")
      writeFileSync(out, `${edit([...lines]).join("\n")}\n`)
      return out
    }
    const fresh = () => ({ ...cliEnv(), HIVE_MASTER_KEY: KEY })

    // A file line whose path leaves artifacts/: the whole file is refused.
    const outside = write((l) => l.map((x) => x.replaceAll(artifact.path, "artifacts/../../../tmp/evil")))
    const refused = await hive(["import", outside], fresh())
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("not an artifact path")
    expect(refused.stderr).toContain("nothing was imported")

    // A row that names another file (hive.db) fails alone; its file lines have no row, so they are not placed.
    const target = fresh()
    const rowOnly = write((l) => l.map((x) => (x.startsWith('{"table":"artifacts"') ? x.replace(artifact.path, "hive.db") : x)))
    const r = await hive(["import", rowOnly, "--json"], target)
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout)
    expect(report.tables.artifacts.failed).toBe(1)
    expect(report.failures.join()).toContain("path must be artifacts/<session_id>/<type>/<sha256>[.gz]")
    expect(report.files).toMatchObject({ written: 0, skipped: 1 })
    expect(existsSync(join(target.HIVE_HOME, artifact.path))).toBe(false)

    // Bytes that are not what the export recorded are not placed.
    const tampered = write((l) =>
      l.map((x) =>
        x.startsWith(`{"file":"${artifact.path}","data"`) ? JSON.stringify({ file: artifact.path, data: Buffer.from("other bytes").toString("base64") }) : x,
      ),
    )
    const other = fresh()
    const t = await hive(["import", tampered, "--json"], other)
    expect(t.code).toBe(1)
    expect(JSON.parse(t.stdout)).toMatchObject({ files: { written: 0, failed: 1 }, missing_files: [artifact.path] })
    expect(existsSync(join(other.HIVE_HOME, artifact.path))).toBe(false)
  })
})
