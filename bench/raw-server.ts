// The baseline hive is measured against: the same two routes on the same schema and pragmas, with bare
// Bun.serve + bun:sqlite — no framework, no validation library. With --auth it also does hive's token work
// by hand: jose HS256 with the same strict options, a verified-token cache, expiry and a revocation lookup
// per request. It prints {"token"} for the load client.
import { jwtVerify, SignJWT } from "jose"
import { dirname } from "node:path"
import { migrations } from "../migrations"
import { migrationEnv } from "../src/cli/home"
import * as Config from "../src/config"
import { apply } from "../src/db/migrate"
import { open } from "../src/db/open"

const [dbPath, port, mode] = process.argv.slice(2)
const withAuth = mode === "--auth"
const db = open(dbPath!)
// The same schema as hive's; the legacy locations point inside the bench's temp dir, where there is nothing to import.
const dir = dirname(dbPath!)
await apply(db, migrations, { env: migrationEnv(db, Config.load({ home: dir }, { HOME: dir })) })

const cols =
  "id, project_id, agent_session_id, name, action_type, status, metadata, pid, ppid, start_time, cwd, label, notify, transport_kind, transport_details, state, transcript_path, created_at, updated_at, expires_at"
type Row = Record<string, unknown> & { metadata: string; transport_details: string; notify: number }
const byId = db.query<Row, [string]>(`SELECT ${cols} FROM sessions WHERE id = ?`)
const insert = db.query<Row, Record<string, string | number | null>>(
  `INSERT INTO sessions (id, name, cwd, pid, ppid, notify, transport_kind, transport_details, created_at, updated_at)
   VALUES ($id, $name, $cwd, $pid, $ppid, $notify, $transport_kind, $transport_details, $now, $now) RETURNING ${cols}`,
)
const insertEvent = db.query<{ id: number }, [number, string | null, string | null, string, string]>(
  "INSERT INTO events (ts, agent, session_id, kind, payload) VALUES (?, ?, ?, ?, ?) RETURNING id",
)
const decode = (r: Row) => ({ ...r, metadata: JSON.parse(r.metadata), transport_details: JSON.parse(r.transport_details), notify: r.notify === 1 })

const key = crypto.getRandomValues(new Uint8Array(32))
const jti = Bun.randomUUIDv7()
db.run("INSERT INTO api_tokens (id, name, created_at, expires_at) VALUES (?, 'bench', ?, ?)", [jti, Date.now(), Date.now() + 3_600_000])
const token = await new SignJWT({ sub: "bench", jti })
  .setProtectedHeader({ alg: "HS256" })
  .setIssuer("hive")
  .setAudience("hive-admin")
  .setIssuedAt()
  .setExpirationTime("1h")
  .sign(key)
const revokedAt = db.query<{ revoked_at: number | null }, [string]>("SELECT revoked_at FROM api_tokens WHERE id = ?")
const verified = new Map<string, { jti: string; exp: number }>()
const unauthorized = () => Response.json({ error: { code: "unauthorized" } }, { status: 401 })

async function authorized(req: Request) {
  const header = req.headers.get("authorization")
  if (!header?.startsWith("Bearer ")) return false
  const t = header.slice(7)
  let claims = verified.get(t)
  if (!claims) {
    try {
      const { payload } = await jwtVerify(t, key, {
        algorithms: ["HS256"],
        issuer: "hive",
        audience: "hive-admin",
        requiredClaims: ["exp", "iat", "jti", "sub"],
      })
      claims = payload as { jti: string; exp: number }
      verified.set(t, claims)
    } catch {
      return false
    }
  }
  if (claims.exp * 1000 <= Date.now()) return false
  const row = revokedAt.get(claims.jti)
  return row !== null && row.revoked_at === null
}

const server = Bun.serve({
  port: Number(port),
  hostname: "127.0.0.1",
  async fetch(req) {
    if (withAuth && !(await authorized(req))) return unauthorized()
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
    if (req.method === "POST" && url.pathname === "/api/events") {
      // Autocommit: one transaction per event, the way a server without group commit stores them.
      const e = (await req.json()) as { kind: string; agent?: string; session_id?: string; payload?: unknown }
      const { id } = insertEvent.get(Date.now(), e.agent ?? null, e.session_id ?? null, e.kind, JSON.stringify(e.payload ?? {}))!
      return Response.json({ id }, { status: 201 })
    }
    return new Response("not found", { status: 404 })
  },
})
console.log(JSON.stringify({ token, port: server.port }))
