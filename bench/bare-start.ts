// The start-up baseline for `make bench` (issue 21): what a server that only opens a SQLite file and answers
// /health costs to start and to hold, compiled as hive is. Bun.serve + bun:sqlite with hive's pragmas (WAL,
// NORMAL) and a read of the database on each /health, as hive's does. Arguments: DB_PATH PORT.
import { Database } from "bun:sqlite"

const [dbPath, port] = process.argv.slice(2)
const db = new Database(dbPath!, { create: true, strict: true })
db.run("PRAGMA busy_timeout = 5000")
db.run("PRAGMA journal_mode = WAL")
db.run("PRAGMA synchronous = NORMAL")
const version = db.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_schema")

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  fetch(req) {
    if (new URL(req.url).pathname === "/health") return Response.json({ status: "ok", tables: version.get()!.n })
    return new Response("not found", { status: 404 })
  },
})
