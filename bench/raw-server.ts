// The baseline hive is measured against: the same two routes on the same schema and pragmas,
// with bare Bun.serve + bun:sqlite — no framework, no validation library, no auth.
import { migrations } from "../migrations"
import { apply } from "../src/db/migrate"
import { open } from "../src/db/open"

const [dbPath, port] = process.argv.slice(2)
const db = open(dbPath!)
await apply(db, migrations)

const cols = "id, project_id, agent_session_id, name, action_type, status, metadata, pid, ppid, start_time, cwd, label, notify, transport_kind, transport_details, state, transcript_path, created_at, updated_at, expires_at"
type Row = Record<string, unknown> & { metadata: string; transport_details: string; notify: number }
const byId = db.query<Row, [string]>(`SELECT ${cols} FROM sessions WHERE id = ?`)
const insert = db.query<Row, Record<string, string | number | null>>(
  `INSERT INTO sessions (id, name, cwd, pid, ppid, notify, transport_kind, transport_details, created_at, updated_at)
   VALUES ($id, $name, $cwd, $pid, $ppid, $notify, $transport_kind, $transport_details, $now, $now) RETURNING ${cols}`,
)
const decode = (r: Row) => ({ ...r, metadata: JSON.parse(r.metadata), transport_details: JSON.parse(r.transport_details), notify: r.notify === 1 })

const server = Bun.serve({
  port: Number(port),
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url)
    if (req.method === "GET" && url.pathname.startsWith("/api/sessions/")) {
      const row = byId.get(url.pathname.slice("/api/sessions/".length))
      return row ? Response.json(decode(row)) : Response.json({ error: { code: "not_found" } }, { status: 404 })
    }
    if (req.method === "POST" && url.pathname === "/api/sessions") {
      const b = (await req.json()) as Record<string, unknown>
      if (typeof b !== "object" || b === null) return Response.json({ error: { code: "bad_request" } }, { status: 400 })
      const now = Date.now()
      const row = insert.get({
        id: Bun.randomUUIDv7(),
        name: String(b.name ?? ""),
        cwd: (b.cwd as string) ?? null,
        pid: (b.pid as number) ?? null,
        ppid: (b.ppid as number) ?? null,
        notify: b.notify ? 1 : 0,
        transport_kind: (b.transport_kind as string) ?? "unknown",
        transport_details: JSON.stringify(b.transport_details ?? {}),
        now,
      })!
      return Response.json(decode(row), { status: 201 })
    }
    return new Response("not found", { status: 404 })
  },
})
console.error(`raw listening on http://127.0.0.1:${server.port}`)
