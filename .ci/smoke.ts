// Smoke test of the single binary: copied alone into an empty directory, run with an empty HOME and
// no HIVE_* variables, the way a user who just downloaded it would run it.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import pkg from "../package.json"
import { migrations } from "../migrations"
import { adminClient } from "../src/client"
import { startFakeTunnelServer } from "../test/tunnel/fake-server"
import { startPushService } from "../test/notify/push-service"
import { phoneClient, phoneKey } from "../test/phone-key"

const source = resolve(process.argv[2] ?? "dist/hive")
const dir = mkdtempSync(join(tmpdir(), "hive-smoke-"))
const bin = join(dir, "hive")
copyFileSync(source, bin)
const home = join(dir, "home")
mkdirSync(home)
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home }
let passed = 0

function check(what: string, ok: boolean, detail = "") {
  if (!ok) throw new Error(`smoke: ${what} FAILED${detail ? `\n${detail}` : ""}`)
  passed++
  console.log(`ok - ${what}`)
}

function run(args: string[]) {
  const r = Bun.spawnSync([bin, ...args], { cwd: dir, env, stdout: "pipe", stderr: "pipe" })
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() }
}

let server: ReturnType<typeof Bun.spawn> | undefined
try {
  const version = run(["--version"])
  check("--version prints the package version", version.code === 0 && version.out.trim() === pkg.version, version.out + version.err)
  const help = run(["--help"])
  check("--help lists the commands", help.code === 0 && /serve[\s\S]*migrate[\s\S]*token/.test(help.out))
  check("an unknown command exits 2", run(["nope"]).code === 2)

  const migrate = run(["migrate"])
  check(
    "migrate applies every embedded migration",
    migrate.code === 0 && migrations.every((m) => migrate.out.includes(`applied ${m.id}`)),
    migrate.out + migrate.err,
  )
  check("the data home is ~/.hive", Bun.file(join(home, ".hive", "hive.db")).size > 0)

  const created = run(["token", "create", "--name", "smoke"])
  const token = created.out.trim()
  check("token create prints a JWT", created.code === 0 && token.split(".").length === 3, created.err)
  check("the master key is outside the data home, mode 0600", (statSync(join(home, ".config", "hive", "master.key")).mode & 0o777) === 0o600)

  // HIVE_TEST_PUSH_HTTP lets the server push to the local push service below (plain http).
  server = Bun.spawn([bin, "serve", "--port", "0"], { cwd: dir, env: { ...env, HIVE_TEST_PUSH_HTTP: "1" }, stdout: "pipe", stderr: "pipe" })
  let log = ""
  const reader = server.stderr.getReader()
  const deadline = Date.now() + 10_000
  let url = ""
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read()
    if (done) break
    log += new TextDecoder().decode(value)
    url = /listening on (http:\/\/\S+) /.exec(log)?.[1] ?? ""
  }
  check("serve starts listening", url !== "", log)

  // The typed client (src/client.ts, the one hive hook uses), typed from the server's own routes.
  const api = adminClient(url, token).api
  const { data: health } = await adminClient(url, token).health.get()
  check(
    "/health reports version and schema",
    health?.status === "ok" && health.version === pkg.version && health.schema_version === migrations.length,
    JSON.stringify(health),
  )
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  const post = await api.projects.post({ name: "smoke", directory: "/smoke" })
  check("the token creates a project", post.status === 201)
  const list = await api.projects.get()
  check("the project is listed", list.data?.items.some((p) => p.name === "smoke") === true)
  check("no token is a 401", (await fetch(`${url}/api/projects`)).status === 401)
  const missing = await fetch(`${url}/nope`)
  check("an unknown route is a JSON 404", missing.status === 404 && ((await missing.json()) as { error: { code: string } }).error.code === "not_found")
  check("/openapi is served", (await fetch(`${url}/openapi`)).status === 200)
  const project = post.data!
  const session = (await api.sessions.post({ project_id: project.id })).data!
  const bigLog = "a line of a long command log\n".repeat(100_000)
  const uploaded = await fetch(`${url}/api/sessions/${session.id}/artifacts?type=log`, {
    method: "POST",
    headers: { authorization: auth.authorization, "content-type": "text/plain" },
    body: bigLog,
  })
  const artifact = (await uploaded.json()) as { id: string; stored_size: number }
  check("a 3 MB artifact streams in and is stored compressed", uploaded.status === 201 && artifact.stored_size < bigLog.length / 10, JSON.stringify(artifact))
  check("the artifact comes back byte for byte", (await (await fetch(`${url}/api/artifacts/${artifact.id}`, { headers: auth })).text()) === bigLog)
  const hookInput = JSON.stringify({
    session_id: "smoke-cc-1",
    hook_event_name: "SessionStart",
    cwd: "/tmp/smoke-project",
    transcript_path: "/tmp/x.jsonl",
    source: "startup",
  })
  const hooked = Bun.spawnSync([bin, "hook"], { cwd: dir, env, stdin: new TextEncoder().encode(hookInput), stdout: "pipe", stderr: "pipe" })
  const registered = (await api.sessions.get({ query: { agent_session_id: "smoke-cc-1" } })).data
  check(
    "hive hook registers a Claude Code session (exit 0, silent)",
    hooked.exitCode === 0 && hooked.stdout.length === 0 && registered?.items[0]?.label === "smoke-project",
    hooked.stderr.toString(),
  )
  const found = (await api.search.get({ query: { q: "smoke" } })).data
  check("search finds it", found?.items.some((h) => h.kind === "session") === true, JSON.stringify(found))
  const phoneUrl = /phone listener (http:\/\/[\d.]+:\d+)/.exec(log)?.[1]
  const phonePage = phoneUrl ? await fetch(`${phoneUrl}/`) : undefined
  check(
    "the phone listener serves the embedded phone page",
    phonePage?.status === 200 && (await phonePage.text()).includes("Pair this phone"),
    String(phoneUrl),
  )
  check("the phone listener has no admin route", phoneUrl !== undefined && (await fetch(`${phoneUrl}/api/projects`, { headers: auth })).status === 404)
  const worker = await fetch(`${phoneUrl}/sw.js`)
  const manifest = await fetch(`${phoneUrl}/manifest.webmanifest`)
  check(
    "the phone listener serves the service worker and the web app manifest",
    worker.status === 200 && (await worker.text()).includes("showNotification") && ((await manifest.json()) as { name?: string }).name === "hive",
  )
  const png = new Uint8Array(await (await fetch(`${phoneUrl}/icon-512.png`)).arrayBuffer())
  check("the binary embeds the page's PNG icon", png.length > 1000 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47)
  {
    // Web Push from the binary (its web-push chunk loads), encrypted for a local push service that decrypts it.
    const push = startPushService()
    const window = (await (await fetch(`${url}/api/pairing`, { method: "POST", headers: auth })).json()) as { url: string }
    const key = await phoneKey()
    const paired = await fetch(`${phoneUrl}/pair`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ secret: new URL(window.url).hash.slice("#pair=".length), name: "smoke phone", signing_key: key.publicKey }),
    })
    const cookie = paired.headers.get("set-cookie")?.split(";")[0] ?? ""
    const { id: _id, ...subscription } = push.subscribe()
    await phoneClient({ base: phoneUrl!, cookie, key })("PUT", "/phone/api/push", subscription)
    const sent = (await (await fetch(`${url}/api/notifications/test`, { method: "POST", headers: auth })).json()) as { push?: { sent: number } }
    check(
      "a test notification reaches a subscribed phone by Web Push, encrypted and signed",
      sent.push?.sent === 1 && push.received.length === 1 && push.rejected.length === 0,
      JSON.stringify({ sent, rejected: push.rejected }),
    )
    push.stop()
  }
  const jobs = (await api.jobs.get()).data
  check("the scheduled jobs are listed", jobs?.items.some((j) => j.name === "backup") === true && jobs?.items.some((j) => j.name === "prune-events") === true)
  const ran = (await api.jobs({ name: "vacuum" }).run.post()).data
  check("a job runs on demand", ran?.error === null, JSON.stringify(ran))
  const backedUp = (await api.jobs({ name: "backup" }).run.post()).data
  check("the backup job runs on its worker thread (a second entry point of the binary)", backedUp?.error === null, JSON.stringify(backedUp))
  const backup = run(["backup", "--encrypt"])
  check("backup --encrypt writes a verified copy while the server runs", backup.code === 0 && /\.db\.enc/.test(backup.out), backup.out + backup.err)
  const doctor = run(["doctor"])
  check("doctor finds no problem", doctor.code === 0 && doctor.out.includes("no problems found"), doctor.out + doctor.err)
  check("restore refuses while the server runs", run(["restore", /backed up to (\S+)/.exec(backup.out)![1]!]).code === 1)

  // An agent's tools over MCP, from the binary alone: stdio (`hive mcp`, as `claude mcp add` runs it) and /mcp.
  const agentToken = run(["token", "create", "--agent", "smoke-agent"]).out.trim()
  const mcp = Bun.spawn([bin, "mcp"], { cwd: dir, env: { ...env, HIVE_TOKEN: agentToken }, stdin: "pipe", stdout: "pipe", stderr: "pipe" })
  const rpc = (id: number, method: string, params: unknown = {}) => `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`
  mcp.stdin.write(rpc(1, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "smoke", version: "1" } }))
  mcp.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`)
  mcp.stdin.write(rpc(2, "tools/list"))
  mcp.stdin.write(rpc(3, "tools/call", { name: "send_message", arguments: { to: "operator", body: "smoke over stdio" } }))
  let mcpOut = ""
  const mcpReader = mcp.stdout.getReader()
  for (const until = Date.now() + 15_000; Date.now() < until && (mcpOut.match(/"id":\s*3/) ?? []).length === 0; ) {
    const chunk = await Promise.race([mcpReader.read(), Bun.sleep(until - Date.now()).then(() => ({ done: true, value: undefined }))])
    if (chunk.value) mcpOut += new TextDecoder().decode(chunk.value)
    if (chunk.done) break
  }
  mcp.stdin.end()
  const answers = mcpOut
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id?: number; result?: { tools?: unknown[]; isError?: boolean } })
  check("hive mcp (stdio) lists the twelve broker tools", answers.find((a) => a.id === 2)?.result?.tools?.length === 12, mcpOut)
  const operatorInbox = (await api.messages.inbox({ recipient: "operator" }).get()).data
  check(
    "an MCP send_message over stdio lands in the recipient's inbox",
    answers.find((a) => a.id === 3)?.result !== undefined &&
      answers.find((a) => a.id === 3)?.result?.isError !== true &&
      operatorInbox?.items.some((m) => m.body === "smoke over stdio") === true,
    mcpOut,
  )
  check("hive mcp ends when its stdin closes", (await Promise.race([mcp.exited, Bun.sleep(5000).then(() => -1)])) === 0)
  const overHttp = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${agentToken}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: rpc(1, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "smoke", version: "1" } }),
  })
  check("/mcp answers an agent's initialize", overHttp.status === 200 && (await overHttp.text()).includes('"serverInfo"'))

  server.kill("SIGTERM")
  check("SIGTERM stops the server cleanly", (await server.exited) === 0)

  // Under heavy writes, event batches are written by one worker thread and the WAL checkpointed by another; each
  // program is an entry point of the binary, loaded from inside it, not from this checkout's src/ (which a user
  // does not have).
  server = Bun.spawn([bin, "serve", "--port", "0"], { cwd: dir, env: { ...env, HIVE_LOG_LEVEL: "debug" }, stdout: "ignore", stderr: "pipe" })
  let text = ""
  const ingestLog = (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of server.stderr as ReadableStream<Uint8Array>) text += decoder.decode(chunk)
  })()
  let ingestUrl = ""
  const running = () =>
    Bun.file(join(home, ".hive", "serve.pid"))
      .json()
      .catch(() => ({})) as Promise<{ pid?: number; url?: string }>
  for (const until = Date.now() + 10_000; !ingestUrl && Date.now() < until; await Bun.sleep(50)) {
    const info = await running()
    if (info.pid === server.pid) ingestUrl = info.url ?? ""
  }
  const events = (n: number, tag: string) => JSON.stringify({ events: Array.from({ length: n }, (_, i) => ({ kind: "smoke", agent: tag, payload: { i } })) })
  // The rows each batch's answer says were stored, counted from its id range.
  const burst = async (tag: string) => {
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => fetch(`${ingestUrl}/api/events/batch`, { method: "POST", headers: auth, body: events(1000, tag) })),
    )
    const ranges = await Promise.all(answers.map((r) => r.json() as Promise<{ first_id: number; last_id: number }>))
    return ranges.reduce((n, r) => n + r.last_id - r.first_id + 1, 0)
  }
  // Bursts until both threads have said they started (the checkpointer looks at the write rate once a second).
  let sent = 0
  let landed = 0
  for (let n = 0; n < 20 && !(text.includes("written on a worker thread") && text.includes("WAL checkpoints run on a worker thread")); n++) {
    landed += await burst(`burst${n}`)
    sent += 4000
    await Bun.sleep(200)
  }
  let stored = 0
  for (let since = 0, more = true; more; ) {
    const page = (await (await fetch(`${ingestUrl}/api/events?kind=smoke&since=${since}&limit=1000`, { headers: auth })).json()) as {
      items: unknown[]
      next_cursor: string | null
    }
    stored += page.items.length
    more = page.next_cursor !== null
    since = Number(page.next_cursor)
  }
  server.kill("SIGTERM")
  const ingestStopped = (await server.exited) === 0
  await ingestLog
  check(
    "event batches pouring in are written by the ingest thread, the WAL checkpointed by another; every row lands; SIGTERM still clean",
    landed === sent &&
      stored === sent &&
      /written on a worker thread .*\(its program: \/\$bunfs\//.test(text) &&
      /WAL checkpoints run on a worker thread .*\(its program: \/\$bunfs\//.test(text) &&
      !/WARN|ERROR/.test(text) &&
      ingestStopped,
    text,
  )

  // The tunnel from the binary (its localtunnel client bundled in), against a fake tunnel server on 127.0.0.1.
  const fake = await startFakeTunnelServer()
  try {
    const tunnelEnv = { ...env, HIVE_TUNNEL_SERVER: fake.url, HIVE_TUNNEL_PROBE_INTERVAL: "1s" }
    server = Bun.spawn([bin, "serve", "--port", "0", "--tunnel"], { cwd: dir, env: tunnelEnv, stdout: "ignore", stderr: "pipe" })
    const tunnelLog = new Response(server.stderr).text()
    let status = { code: 1, out: "", err: "" }
    for (const until = Date.now() + 15_000; status.code !== 0 && Date.now() < until; await Bun.sleep(100)) status = run(["tunnel", "status", "--json"])
    check("serve --tunnel: the tunnel comes up", status.code === 0, status.out + status.err)
    const pairing = run(["pair"])
    const phone = new URL(/open (\S+)/.exec(pairing.out)?.[1] ?? "http://x")
    const through = await fetch(`${phone.origin}/health`, { headers: { authorization: `Basic ${btoa(`${phone.username}:${phone.password}`)}` } })
    check(
      "hive pair's URL reaches the phone listener through the tunnel, with its password",
      through.status === 200 && phone.password.length === 32,
      pairing.out,
    )
    server.kill("SIGTERM")
    const stopped = (await server.exited) === 0
    check(
      "the tunnel closes on SIGTERM, its password never logged",
      stopped && !(await tunnelLog).includes(phone.password) && run(["tunnel", "status"]).code === 1,
    )
  } finally {
    await fake.stop()
  }
  console.log(`smoke: ${passed} passed, 0 failed`)
} finally {
  server?.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
}
