// The checkpointer's program (see ./checkpointer.ts): its own connection, a PASSIVE checkpoint every `every` ms
// (never waits for the writer), and a RESTART one when the WAL has grown past `restartAbove` frames without the
// writer ever seeing it fully copied (under a steady write load it never is, so it would otherwise grow without
// bound). RESTART takes the write lock: with busy_timeout 0 it never waits for it, nor for a long reader (an
// export), so the server's writes are held up for one copy at most, and it is tried at most every `restartEvery`
// ms. It says "idle" after `idleAfter` ms with nothing written and nothing left to copy, and the server lets it go.
import type { Database } from "bun:sqlite"
import type { CheckpointerReply, CheckpointerRequest } from "./checkpointer"
import { open } from "./open"

declare const self: Worker

type Counts = { busy: number; log: number; checkpointed: number }

let db: Database | undefined
let timer: ReturnType<typeof setInterval> | undefined
const reply = (message: CheckpointerReply) => self.postMessage(message)

self.onmessage = ({ data }: MessageEvent<CheckpointerRequest>) => {
  if (data.type === "stop") {
    clearInterval(timer)
    try {
      db?.close()
    } catch {}
    reply({ type: "stopped" })
    return
  }
  // The same pragmas as every connection (db/open.ts), then no waiting at all: a checkpoint that cannot run now
  // is tried again on the next tick.
  const conn = (db = open(data.path))
  conn.run("PRAGMA busy_timeout = 0")
  const passive = conn.query<Counts, []>("PRAGMA wal_checkpoint(PASSIVE)")
  const restart = conn.query<Counts, []>("PRAGMA wal_checkpoint(RESTART)")
  // Where this program was loaded from: inside the binary, never a path on the build machine.
  reply({ type: "started", program: Bun.main })
  let quiet = 0
  let lastLog = -1
  let lastRestart = 0
  timer = setInterval(() => {
    try {
      const r = passive.get()!
      if (r.log > data.restartAbove && Date.now() - lastRestart >= data.restartEvery) {
        lastRestart = Date.now()
        restart.get()
      }
      // Quiet: nothing was written since the last look and everything is copied.
      quiet = r.log === lastLog && r.checkpointed === r.log ? quiet + data.every : 0
      lastLog = r.log
      if (quiet >= data.idleAfter) reply({ type: "idle" })
    } catch (err) {
      reply({ type: "error", message: String((err as Error)?.message ?? err) })
    }
  }, data.every)
}
