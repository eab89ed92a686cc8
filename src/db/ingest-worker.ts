// The event-ingest worker's program (see ./ingest.ts): its own connection to the database, the events store's
// own appendMany, and the same group commit as the server's, so batches that arrive together share a COMMIT.
// An entry point of the binary of its own (Makefile: WORKERS).
import type { Database } from "bun:sqlite"
import * as Events from "./events"
import { createGroupCommit } from "./group-commit"
import { open } from "./open"
import type { IngestReply, IngestRequest } from "./ingest"
import { toWire } from "../workers"

declare const self: Worker

// Rows that share a COMMIT. Fewer commits is most of the gain (a commit writes the same hot pages again):
// 16 batches of 500 a commit measured ~30% faster than 4. But the server's thread waits for the write lock
// while this connection holds it (an admin write during a flood of batches), so a transaction stays ~10 ms.
const ROWS_PER_COMMIT = 8192

let db: Database | undefined
let append: (id: number, json: string, rows: number, now: number) => void = () => {}

const reply = (message: IngestReply) => self.postMessage(message)

self.onmessage = ({ data }: MessageEvent<IngestRequest>) => {
  if (data.type === "open") {
    try {
      const conn = (db = open(data.path))
      // The server's checkpointer copies the WAL; this connection only keeps SQLite's safety net, at the same height.
      conn.run(`PRAGMA wal_autocheckpoint = ${data.autocheckpoint}`)
      const store = Events.create(conn)
      const commit = createGroupCommit(conn, ROWS_PER_COMMIT)
      append = (id, json, rows, now) =>
        commit
          .run(() => store.appendMany(JSON.parse(json) as Events.EventInput[], now), rows)
          .then(
            (appended) => reply({ type: "appended", id, appended }),
            (err: unknown) => reply({ type: "failed", id, error: toWire(err) }),
          )
      // Where this program was loaded from: inside the binary, never a path on the build machine.
      reply({ type: "ready", program: Bun.main })
    } catch (err) {
      reply({ type: "unavailable", error: toWire(err) })
    }
  } else if (data.type === "append") {
    append(data.id, data.json, data.rows, data.now)
  } else if (data.type === "stop") {
    // Every append was answered before the server asks (it waits for them): nothing is in flight here.
    try {
      db?.close()
    } catch {}
    reply({ type: "stopped" })
  }
}
