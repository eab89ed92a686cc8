// The storage accounting's program (see ./usage.ts): a read-only connection of its own, one answer.
import { serveOnce } from "../workers"
import { openReadOnly } from "./open"
import { databaseByKind, prunePreview, type UsageJob } from "./usage"

declare const self: Worker

serveOnce(self, (job: UsageJob) => {
  const db = openReadOnly(job.dbPath)
  try {
    return job.ask === "kinds" ? databaseByKind(db) : prunePreview(db, job.name, job.before)
  } finally {
    db.close()
  }
})
