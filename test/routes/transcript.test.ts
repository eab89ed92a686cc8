import { describe, expect, test } from "bun:test"
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { encodeCwd, MAX_LINE_BYTES } from "../../src/transcripts/read"
import { tempDir, testApp } from "../helpers"

const REAL = join(import.meta.dir, "..", "fixtures", "claude-code")
const line = (i: number) => JSON.stringify({ type: i % 2 ? "assistant" : "user", uuid: `u-${i}`, message: { content: `turn ${i} ${"x".repeat(i % 300)}` } })

describe("transcripts", () => {
  test("a large JSONL is read in pages that follow each other exactly; a malformed line is reported in place", async () => {
    const { call } = await testApp()
    const path = join(tempDir(), "big.jsonl")
    const lines = Array.from({ length: 20_000 }, (_, i) => (i === 12_345 ? "{not json" : line(i)))
    writeFileSync(path, `${lines.join("\n")}\n`)
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    const seen: unknown[] = []
    let cursor = 0
    let pages = 0
    for (;;) {
      const page = (await call("GET", `/api/sessions/${session.id}/transcript?cursor=${cursor}&limit=500`)).body
      seen.push(...page.entries)
      cursor = page.next_cursor
      pages++
      if (page.done) break
    }
    expect(pages).toBe(40)
    expect(seen).toHaveLength(20_000)
    const bad = seen[12_345] as { error: string; raw: string; offset: number }
    expect(bad.error).toStartWith("not JSON")
    expect(bad.raw).toBe("{not json")
    expect(bad.offset).toBe(lines.slice(0, 12_345).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0))
    expect((seen[12_346] as { entry: { uuid: string } }).entry.uuid).toBe("u-12346")
    expect((seen[19_999] as { entry: { uuid: string } }).entry.uuid).toBe("u-19999")
  })

  test("a line still being written is left for the next read; new lines are picked up from the cursor", async () => {
    const { call } = await testApp()
    const path = join(tempDir(), "live.jsonl")
    writeFileSync(path, `${line(0)}\n{"type":"partial`)
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    const first = (await call("GET", `/api/sessions/${session.id}/transcript`)).body
    expect(first.entries).toHaveLength(1)
    expect(first.done).toBe(false)
    appendFileSync(path, `","n":1}\n${line(2)}\n`)
    const next = (await call("GET", `/api/sessions/${session.id}/transcript?cursor=${first.next_cursor}`)).body
    expect(next.entries.map((e: { entry: { type: string } }) => e.entry.type)).toEqual(["partial", "user"])
    expect(next.done).toBe(true)
  })

  test("the default location is Claude Code's projects folder; an overlong line is reported, not loaded", async () => {
    const { call, config } = await testApp()
    const cwd = "/home/dev/my.project"
    const dir = join(config.claudeDir, "projects", encodeCwd(cwd))
    expect(encodeCwd(cwd)).toBe("-home-dev-my-project")
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, "abc-123.jsonl"), `${"y".repeat(MAX_LINE_BYTES + 10)}\n${line(1)}\n`)
    const session = (await call("POST", "/api/sessions", { cwd, agent_session_id: "abc-123" })).body
    const page = (await call("GET", `/api/sessions/${session.id}/transcript`)).body
    expect(page.entries[0]).toEqual({ offset: 0, error: `line longer than ${MAX_LINE_BYTES} bytes`, raw: "" })
    expect(page.entries[1].entry.uuid).toBe("u-1")
  })

  test("a transcript is searchable once indexed; indexing again adds only what was written since", async () => {
    const { call } = await testApp()
    const path = join(tempDir(), "s.jsonl")
    const entry = (text: string) =>
      JSON.stringify({
        type: "assistant",
        message: {
          role: "assistant",
          content: [
            { type: "text", text },
            { type: "tool_use", input: { command: "ls" } },
          ],
        },
      })
    writeFileSync(path, `${entry("the quokka refactor is done")}\n{broken\n`)
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    expect((await call("GET", "/api/search?q=quokka")).body.items).toEqual([])
    const [a, b] = await Promise.all([
      call("POST", `/api/sessions/${session.id}/transcript/index`),
      call("POST", `/api/sessions/${session.id}/transcript/index`),
    ])
    expect(a.body.indexed_entries + b.body.indexed_entries).toBe(1) // concurrent calls never index twice
    const hits = (await call("GET", `/api/search?q=quokka&session=${session.id}`)).body.items
    expect(hits).toEqual([expect.objectContaining({ kind: "transcript", id: `${session.id}:0`, session_id: session.id })])
    expect(hits[0].snippet).toContain("[quokka]")
    appendFileSync(path, `${entry("next the wombat migration")}\n`)
    const again = (await call("POST", `/api/sessions/${session.id}/transcript/index`)).body
    expect(again).toMatchObject({ indexed_entries: 1, total: 2 })
    expect((await call("GET", "/api/search?q=wombat")).body.items).toHaveLength(1)
    expect((await call("DELETE", `/api/sessions/${session.id}`)).status).toBe(204)
    expect((await call("GET", "/api/search?q=quokka")).body.items).toEqual([])
  })

  test("Claude Code's real transcript: each prompt is indexed once, its injected listings not at all", async () => {
    const { call } = await testApp()
    const dir = tempDir()
    const path = join(dir, "43dde135-ba21-493c-9156-212a4bc6ee77.jsonl")
    writeFileSync(path, readFileSync(join(REAL, "run-a", "transcript.jsonl")))
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    const indexed = (await call("POST", `/api/sessions/${session.id}/transcript/index`)).body
    // The prompt, the tool's result and the answer (the tool call itself has no text): not the two queue lines,
    // the agent and skill listings or the last-prompt marker, which the 9 lines of the file also hold.
    expect(indexed.indexed_entries).toBe(3)
    expect((await call("GET", "/api/search?q=greeting")).body.items).toHaveLength(1)
    expect((await call("GET", "/api/search?q=deep-research")).body.items).toEqual([])
  })

  test("turn stats from Claude Code's real transcript: one turn, its tokens once per message, its tool calls by name", async () => {
    const { call } = await testApp()
    const path = join(tempDir(), "43dde135-ba21-493c-9156-212a4bc6ee77.jsonl")
    writeFileSync(path, readFileSync(join(REAL, "run-a", "transcript.jsonl")))
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    const report = (await call("GET", `/api/sessions/${session.id}/turns`)).body
    expect(report.items).toHaveLength(1)
    expect(report.items[0]).toMatchObject({
      prompt: "Use the Bash tool to print a greeting",
      models: ["claude-opus-4-8"],
      input_tokens: 24,
      output_tokens: 10,
      tool_calls: 1,
      tools: { Bash: 1 },
      started_at: Date.parse("2026-12-03T06:46:23.672Z"),
    })
    expect(report.items[0].duration_ms).toBeGreaterThan(0)
    expect(report.totals).toMatchObject({ turns: 1, input_tokens: 24, output_tokens: 10, tool_calls: 1 })
  })

  test("turn stats of a hostile transcript: a message repeated over lines counts once; odd names and numbers do not break the report", async () => {
    const { call } = await testApp()
    const path = join(tempDir(), "hostile.jsonl")
    const usage = { input_tokens: 7, output_tokens: 3 }
    const lines = [
      { type: "user", timestamp: "2026-01-01T00:00:00Z", message: { content: [{ type: "text", text: "go" }] } },
      { type: "assistant", timestamp: "2026-01-01T00:00:01Z", message: { id: "m1", usage, content: [{ type: "tool_use", name: "__proto__" }] } },
      { type: "assistant", timestamp: "2026-01-01T00:00:02Z", message: { id: "m1", usage, content: [{ type: "tool_use", name: "constructor" }] } },
      { type: "user", timestamp: "2026-01-01T00:00:03Z", message: { content: [{ type: "tool_result", content: "ok" }] } },
      { type: "assistant", timestamp: "not a time", message: { id: "m2", usage: { input_tokens: -5, output_tokens: 1.5 }, content: "no blocks" } },
      { type: "user", timestamp: "2026-01-01T00:01:00Z", message: { content: "second" } },
    ]
    writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n{broken\n`)
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    const res = await call("GET", `/api/sessions/${session.id}/turns`)
    expect(res.status).toBe(200)
    expect(res.body.items.map((t: { prompt: string }) => t.prompt)).toEqual(["go", "second"])
    expect(res.body.items[0]).toMatchObject({ input_tokens: 7, output_tokens: 3, tool_calls: 2, duration_ms: 3000 })
    expect(Object.entries(res.body.items[0].tools)).toEqual([
      ["__proto__", 1],
      ["constructor", 1],
    ])
    expect((await call("GET", "/api/sessions/nope/turns")).status).toBe(404)
  })

  test("a subagent's transcript is read beside the session's, by its agent id; ids are never paths", async () => {
    const { call } = await testApp()
    const dir = tempDir()
    const path = join(dir, "909f3960-266f-4eea-b2bd-6b6470b50a92.jsonl")
    writeFileSync(path, `${line(0)}\n`)
    mkdirSync(join(dir, "909f3960-266f-4eea-b2bd-6b6470b50a92", "subagents"), { recursive: true })
    const agentFile = join(dir, "909f3960-266f-4eea-b2bd-6b6470b50a92", "subagents", "agent-ad628a2ab2326fc1c.jsonl")
    writeFileSync(agentFile, readFileSync(join(REAL, "subagent-transcripts", "agent-ad628a2ab2326fc1c.jsonl")))
    const session = (await call("POST", "/api/sessions", { transcript_path: path })).body
    const list = (await call("GET", `/api/sessions/${session.id}/subagents`)).body.items
    expect(list).toEqual([{ agent_id: "ad628a2ab2326fc1c", bytes: expect.any(Number), modified_at: expect.any(Number) }])
    const page = (await call("GET", `/api/sessions/${session.id}/transcript?agent=ad628a2ab2326fc1c`)).body
    expect(page.entries.length).toBeGreaterThan(1)
    expect(JSON.stringify(page.entries)).toContain("SUBTASK-MARKER")
    for (const bad of ["../../etc/passwd", "a/b", "x.jsonl"])
      expect((await call("GET", `/api/sessions/${session.id}/transcript?agent=${encodeURIComponent(bad)}`)).status).toBe(400)
    expect((await call("GET", `/api/sessions/${session.id}/transcript?agent=nope`)).status).toBe(404)

    // Indexing the session indexes its subagents' transcripts too; a search names the subagent in the hit's id.
    const indexed = (await call("POST", `/api/sessions/${session.id}/transcript/index`)).body
    expect(indexed.subagents).toEqual([
      { agent_id: "ad628a2ab2326fc1c", indexed_entries: expect.any(Number), indexed_to: expect.any(Number), total: expect.any(Number) },
    ])
    expect(indexed.subagents[0].indexed_entries).toBeGreaterThan(0)
    const hits = (await call("GET", `/api/search?q=SUBTASK-MARKER&session=${session.id}`)).body.items
    expect(hits.length).toBeGreaterThan(0)
    expect(hits[0]).toMatchObject({ kind: "transcript", session_id: session.id })
    expect(hits[0].id).toStartWith(`${session.id}:ad628a2ab2326fc1c:`)
    // Again: nothing new, nothing twice.
    const again = (await call("POST", `/api/sessions/${session.id}/transcript/index`)).body
    expect(again.subagents[0]).toMatchObject({ indexed_entries: 0, total: indexed.subagents[0].total })
    // Deleting the session takes its subagents' index with it.
    expect((await call("DELETE", `/api/sessions/${session.id}`)).status).toBe(204)
    expect((await call("GET", "/api/search?q=SUBTASK-MARKER")).body.items).toEqual([])
  })

  test("clear errors: a missing file is a 404, a bad cursor a 400, a session without a transcript a 404", async () => {
    const { call, pairPhone } = await testApp()
    const gone = (await call("POST", "/api/sessions", { transcript_path: "/nowhere/x.jsonl" })).body
    expect((await call("GET", `/api/sessions/${gone.id}/transcript`)).body).toEqual({
      error: { code: "not_found", message: "transcript file /nowhere/x.jsonl not found" },
    })
    // A folder named like a transcript was a 500 (reading it fails after it opens): a 404, here and on the phone.
    const folder = join(tempDir(), "folder.jsonl")
    mkdirSync(folder)
    const odd = (await call("POST", "/api/sessions", { transcript_path: folder })).body
    expect((await call("GET", `/api/sessions/${odd.id}/transcript`)).status).toBe(404)
    const { phoneCall } = await pairPhone()
    expect((await phoneCall("GET", `/phone/api/sessions/${odd.id}/transcript?tail=true`)).status).toBe(404)
    const path = join(tempDir(), "t.jsonl")
    writeFileSync(path, `${line(0)}\n`)
    const s = (await call("POST", "/api/sessions", { transcript_path: path })).body
    expect((await call("GET", `/api/sessions/${s.id}/transcript?cursor=999999`)).status).toBe(400)
    expect((await call("GET", `/api/sessions/${s.id}/transcript?limit=-1`)).status).toBe(400)
    const bare = (await call("POST", "/api/sessions", {})).body
    expect((await call("GET", `/api/sessions/${bare.id}/transcript`)).status).toBe(404)
    const notJsonl = (await call("POST", "/api/sessions", { transcript_path: "/etc/passwd" })).body
    expect((await call("GET", `/api/sessions/${notJsonl.id}/transcript`)).status).toBe(400)
  })
})
