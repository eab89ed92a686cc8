// `make bench-scale` (issue 21): how hive behaves on a large home, built through its own API as a fleet would
// fill it: SCALE_EVENTS events (default 10 million) over 30 days, 100,000 sessions in 500 projects, 50,000
// artifacts, the search index filled. Then, on that home: cold start, the newest page of sessions, a filtered
// page of events, search, a day's prune with the API's p99 while it runs, vacuum, backup and export, peak RSS.
// Writes bench/results/scale.md; exits 1 when a target is missed. Takes ~15 minutes and ~6 GB of disk.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, statusKb } from "./lib"

const ROOT = join(import.meta.dir, "..")
const BIN = join(ROOT, "dist", "hive")
const EVENTS = Number(process.env.SCALE_EVENTS ?? 10_000_000)
const SESSIONS = Number(process.env.SCALE_SESSIONS ?? 100_000)
const PROJECTS = Number(process.env.SCALE_PROJECTS ?? 500)
const ARTIFACTS = Number(process.env.SCALE_ARTIFACTS ?? 50_000)
const DAYS = 30
const DAY = 86_400_000
const BATCH = 500
const home = mkdtempSync(join(process.env.SCALE_DIR ?? tmpdir(), "hive-scale-"))
const env = { ...process.env, HOME: home, HIVE_HOME: join(home, ".hive"), XDG_CONFIG_HOME: join(home, ".config"), HIVE_LOG_LEVEL: "warn" }
const log = (line: string) => console.error(`bench-scale: ${line}`)

type Server = { proc: ReturnType<typeof Bun.spawn>; url: string; peakKb: () => number }
const running = new Set<ReturnType<typeof Bun.spawn>>()

/** Starts `hive serve` and answers how long it took to its first /health 200. */
async function serve(): Promise<Server & { startMs: number }> {
  const port = await freePort()
  const t0 = performance.now()
  const proc = Bun.spawn([BIN, "serve", "--port", String(port), "--phone-port", "0"], { env, stderr: "inherit" })
  running.add(proc)
  const url = `http://127.0.0.1:${port}`
  for (const until = Date.now() + 120_000; ; await Bun.sleep(1)) {
    if (Date.now() > until) throw new Error("hive serve did not come up in 120 s")
    try {
      if ((await fetch(`${url}/health`)).status === 200) break
    } catch {}
  }
  const startMs = performance.now() - t0
  return { proc, url, startMs, peakKb: () => statusKb(proc.pid, "VmHWM") }
}

async function stop(s: Server) {
  s.proc.kill("SIGTERM")
  await s.proc.exited
  running.delete(s.proc)
}

let token = ""
const headers = () => ({ authorization: `Bearer ${token}`, "content-type": "application/json" })

async function call(s: Server, method: string, path: string, body?: unknown) {
  const r = await fetch(`${s.url}${path}`, { method, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await r.text()
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`)
  return text ? JSON.parse(text) : null
}

/** Runs `count` tasks with at most `width` at once. */
async function pool(count: number, width: number, task: (i: number) => Promise<unknown>) {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!
/** p50 and p99 of `n` sequential requests (ms). */
async function latencies(n: number, request: (i: number) => Promise<unknown>) {
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await request(i)
    ms.push(performance.now() - t0)
  }
  ms.sort((a, b) => a - b)
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), n }
}

const WORDS = "build test deploy review merge commit lint format bundle cache schema index query route token agent".split(" ")
const KINDS = ["tool_use", "tool_result", "prompt", "notification", "stop"]
const TOOLS = ["Read", "Edit", "Bash", "Grep", "Write"]

async function timed<T>(what: string, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  log(`${what}…`)
  const t0 = performance.now()
  const value = await fn()
  const ms = performance.now() - t0
  log(`${what}: ${(ms / 1000).toFixed(1)} s`)
  return { ms, value }
}

/** A step whose failure is reported in its row instead of ending the run (what was measured before it stays). */
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<{ ms: number; value: T | undefined; error?: string }> {
  try {
    return await timed(what, fn)
  } catch (err) {
    log(`${what} failed: ${(err as Error).message}`)
    return { ms: Number.NaN, value: undefined, error: (err as Error).message.split("\n")[0] }
  }
}
const took = (r: { ms: number; error?: string }) => (r.error ? `failed: ${r.error}` : `${(r.ms / 1000).toFixed(1)} s`)

const fileSize = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`

try {
  if (Bun.spawnSync([BIN, "migrate"], { env, stdout: "ignore" }).exitCode !== 0) throw new Error("hive migrate failed")
  token = Bun.spawnSync([BIN, "token", "create", "--name", "bench-scale"], { env }).stdout.toString().trim()

  // The same binary on the empty home first: what "does not grow with the database" is measured against.
  const emptyStarts: number[] = []
  for (let i = 0; i < 5; i++) {
    const s = await serve()
    emptyStarts.push(s.startMs)
    await stop(s)
  }

  let server = await serve()
  const now = Date.now()
  const seeding = {
    projects: await timed(`${PROJECTS} projects`, () =>
      pool(PROJECTS, 8, (i) => call(server, "POST", "/api/projects", { name: `project ${i}`, directory: `/work/p${i}` })),
    ),
    projectIds: [] as string[],
    sessionIds: [] as string[],
  }
  for (let cursor: string | null = null; ; ) {
    const page = (await call(server, "GET", `/api/projects?limit=500${cursor ? `&cursor=${cursor}` : ""}`)) as {
      items: { id: string }[]
      next_cursor: string | null
    }
    seeding.projectIds.push(...page.items.map((p) => p.id))
    if (!(cursor = page.next_cursor)) break
  }
  const sessionsSeeded = await timed(`${SESSIONS.toLocaleString("en")} sessions`, () =>
    pool(SESSIONS, 16, async (i) => {
      const s = (await call(server, "POST", "/api/sessions", {
        name: `session ${i}`,
        project_id: seeding.projectIds[i % seeding.projectIds.length],
        cwd: `/work/p${i % PROJECTS}`,
        agent_session_id: `scale-${i}`,
      })) as { id: string }
      seeding.sessionIds[i] = s.id
    }),
  )
  // Oldest first, as they would have come: 30 days of events, ids in time order.
  const batches = Math.ceil(EVENTS / BATCH)
  const eventsSeeded = await timed(`${EVENTS.toLocaleString("en")} events in batches of ${BATCH}`, () =>
    pool(batches, 4, (b) => {
      const ts = now - DAYS * DAY + Math.floor((b / batches) * DAYS * DAY)
      const events = Array.from({ length: Math.min(BATCH, EVENTS - b * BATCH) }, (_, k) => {
        const n = b * BATCH + k
        return {
          kind: KINDS[n % KINDS.length]!,
          agent: `agent-${n % 50}`,
          session_id: seeding.sessionIds[(n * 7919) % seeding.sessionIds.length]!,
          ts,
          payload: { tool: TOOLS[n % TOOLS.length], text: `${WORDS[n % WORDS.length]} ${WORDS[(n >> 4) % WORDS.length]} step ${n}` },
        }
      })
      return call(server, "POST", "/api/events/batch", { events })
    }),
  )
  const artifactsSeeded = await timed(`${ARTIFACTS.toLocaleString("en")} artifacts`, () =>
    pool(ARTIFACTS, 8, async (i) => {
      const session = seeding.sessionIds[i % seeding.sessionIds.length]!
      const r = await fetch(`${server.url}/api/sessions/${session}/artifacts?type=log&name=run-${i}.txt`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
        body: `artifact ${i}\n${"x".repeat(1024)}`,
      })
      if (r.status !== 201) throw new Error(`artifact upload: ${r.status} ${await r.text()}`)
    }),
  )
  // The first search starts the index's catch-up over every event it has not seen (it answers after half a
  // second, from what is indexed); searched again until nothing is left behind.
  const firstSearch = performance.now()
  const firstAnswer = (await call(server, "GET", "/api/search?q=deploy&limit=20")) as { events_not_indexed: number }
  const firstSearchMs = performance.now() - firstSearch
  const indexed = await timed("the index's catch-up over every event", async () => {
    for (let left = firstAnswer.events_not_indexed; left > 0; await Bun.sleep(1000))
      left = ((await call(server, "GET", "/api/search?q=deploy&limit=20")) as { events_not_indexed: number }).events_not_indexed
  })
  const dbBytes = fileSize(join(home, ".hive", "hive.db")) + fileSize(join(home, ".hive", "hive.db-wal"))
  await stop(server)

  // Cold start on the full home, after a clean stop (the page cache is warm, as it is on a running machine).
  const fullStarts: number[] = []
  for (let i = 0; i < 5; i++) {
    server = await serve()
    fullStarts.push(server.startMs)
    if (i < 4) await stop(server)
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
  const emptyStart = sorted(emptyStarts)[2]!
  const fullStart = sorted(fullStarts)[2]!
  const firstApi = await timed("the first API request (loads the app)", () => call(server, "GET", "/api/sessions?limit=1"))

  const sessionsPage = await latencies(200, () => call(server, "GET", "/api/sessions?limit=50"))
  const someSessions = seeding.sessionIds.filter((_, i) => i % 997 === 0)
  const eventsPage = (i: number) =>
    call(
      server,
      "GET",
      i % 2
        ? `/api/events?session_id=${someSessions[i % someSessions.length]}&limit=100`
        : `/api/events?kind=${KINDS[i % KINDS.length]}&agent=agent-${i % 50}&limit=100`,
    )
  const eventsIdle = await latencies(400, eventsPage)
  const searchCommon = await latencies(100, () => call(server, "GET", "/api/search?q=deploy&limit=20"))
  const searchRare = await latencies(100, (i) => call(server, "GET", `/api/search?q=${encodeURIComponent(`"step ${(i * 99_991) % EVENTS}"`)}&limit=20`))

  // A day's prune: keep 29 of the 30 days, and page through events while it runs.
  await call(server, "PUT", "/api/preferences/retention.events", { value: "29d" })
  let pruning = true
  const duringPrune: number[] = []
  const prune = timed("a day's prune (prune-events)", async () => {
    try {
      return await call(server, "POST", "/api/jobs/prune-events/run")
    } finally {
      pruning = false
    }
  })
  for (let i = 0; pruning; i++) {
    const t0 = performance.now()
    await eventsPage(i)
    duringPrune.push(performance.now() - t0)
  }
  const pruned = await prune
  duringPrune.sort((a, b) => a - b)
  const prunedRows = (pruned.value as { rows_affected: number | null; error: string | null }).rows_affected ?? 0
  if ((pruned.value as { error: string | null }).error) throw new Error(`prune-events failed: ${(pruned.value as { error: string }).error}`)
  const pruneP99 = duringPrune.length ? quantile(duringPrune, 0.99) : 0

  const vacuum = await attempt("vacuum", () => call(server, "POST", "/api/jobs/vacuum/run"))
  const backup = await attempt("backup", () => call(server, "POST", "/api/jobs/backup/run"))
  const exported = await attempt("export", async () => {
    const r = await fetch(`${server.url}/api/export`, { headers: headers() })
    let bytes = 0
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength
    return bytes
  })
  const idleKb = statusKb(server.proc.pid, "VmRSS")
  const peakKb = server.peakKb()
  await stop(server)

  const ok = {
    start: fullStart <= 1.25 * emptyStart + 5,
    sessions: sessionsPage.p99 < 50,
    events: eventsIdle.p99 < 50,
    search: searchCommon.p99 < 50 && searchRare.p99 < 50,
    prune: pruneP99 <= 2 * eventsIdle.p99,
    memory: peakKb / 1024 <= 256,
  }
  const mark = (pass: boolean) => (pass ? "✓" : "✗")
  const ms = (x: number) => `${x.toFixed(1)} ms`
  const s = (x: number) => `${(x / 1000).toFixed(1)} s`
  const report = `# hive at scale

${new Date().toISOString()} · bun ${Bun.version} · ${navigator.hardwareConcurrency} cores · \`make bench-scale\` (bench/scale.ts)

The home, built through hive's own API: ${EVENTS.toLocaleString("en")} events over ${DAYS} days (batches of ${BATCH}), ${SESSIONS.toLocaleString("en")} sessions in ${PROJECTS} projects, ${ARTIFACTS.toLocaleString("en")} artifacts of 1 KB, the search index filled: a ${mb(dbBytes)} database.

| building it | time |
|---|---|
| ${SESSIONS.toLocaleString("en")} sessions (16 at once) | ${s(sessionsSeeded.ms)} (${Math.round(SESSIONS / (sessionsSeeded.ms / 1000)).toLocaleString("en")}/s) |
| ${EVENTS.toLocaleString("en")} events (4 batches at once) | ${s(eventsSeeded.ms)} (${Math.round(EVENTS / (eventsSeeded.ms / 1000)).toLocaleString("en")}/s) |
| ${ARTIFACTS.toLocaleString("en")} artifacts (8 at once) | ${s(artifactsSeeded.ms)} |
| the first search after that ingest (answers from what is indexed; ${firstAnswer.events_not_indexed.toLocaleString("en")} events not yet) | ${ms(firstSearchMs)} |
| the index's catch-up over every event, in the background | ${s(indexed.ms)} |

| on that home | value | target |
|---|---|---|
| cold start to the first /health 200 (median of 5, after a clean stop, page cache warm) | ${ms(fullStart)}, against ${ms(emptyStart)} on the empty home | does not grow with the database (≤ 1.25× + 5 ms) ${mark(ok.start)} |
| the first API request after that start (loads the app) | ${ms(firstApi.ms)} | |
| newest page of sessions (\`GET /api/sessions?limit=50\`), ${sessionsPage.n} requests | p50 ${ms(sessionsPage.p50)}, p99 ${ms(sessionsPage.p99)} | p99 < 50 ms ${mark(ok.sessions)} |
| a filtered page of events (by session, or by kind and agent; 100 rows), ${eventsIdle.n} requests | p50 ${ms(eventsIdle.p50)}, p99 ${ms(eventsIdle.p99)} | p99 < 50 ms ${mark(ok.events)} |
| search for a common word (\`deploy\`: ${(100 / WORDS.length).toFixed(0)}% of events), 20 hits | p50 ${ms(searchCommon.p50)}, p99 ${ms(searchCommon.p99)} | p99 < 50 ms ${mark(ok.search)} |
| search for a rare phrase (\`"step N"\`) | p50 ${ms(searchRare.p50)}, p99 ${ms(searchRare.p99)} | p99 < 50 ms |
| a day's prune (\`retention.events\` 29d, then \`prune-events\`) | ${s(pruned.ms)}; ${prunedRows.toLocaleString("en")} events deleted | |
| filtered events page while the prune runs, ${duringPrune.length} requests | p99 ${ms(pruneP99)}, against ${ms(eventsIdle.p99)} idle | ≤ 2× idle ${mark(ok.prune)} |
| vacuum (\`POST /api/jobs/vacuum/run\`) | ${took(vacuum)} | |
| backup (\`POST /api/jobs/backup/run\`: VACUUM INTO, then checked) | ${took(backup)} | |
| export of everything (\`GET /api/export\`) | ${took(exported)}${exported.value ? `, ${mb(exported.value)}` : ""} | |
| RSS of the server: at the end, and its peak (VmHWM) over everything above | ${(idleKb / 1024).toFixed(0)} MB, peak ${(peakKb / 1024).toFixed(0)} MB | peak ≤ 256 MB ${mark(ok.memory)} |

Result: ${
    Object.values(ok).every(Boolean)
      ? "all targets met"
      : `TARGETS MISSED (${Object.entries(ok)
          .filter(([, v]) => !v)
          .map(([k]) => k)
          .join(", ")})`
  }
`
  writeFileSync(join(ROOT, "bench", "results", "scale.md"), report)
  console.log(report)
  process.exitCode = Object.values(ok).every(Boolean) ? 0 : 1
} finally {
  for (const proc of running) proc.kill("SIGTERM")
  await Promise.all([...running].map((p) => p.exited))
  rmSync(home, { recursive: true, force: true })
}
