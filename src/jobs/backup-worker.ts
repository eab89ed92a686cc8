// The backup job's program (see ./backup.ts): its own connection, one backup, one reply.
import { open } from "../db/open"
import { serveOnce } from "../workers"
import { backup, type BackupJob } from "./backup"

declare const self: Worker

serveOnce(self, ({ dbPath, dir, keep, seal, withArtifactsFrom }: BackupJob) => {
  const db = open(dbPath)
  try {
    return backup(db, dir, { keep, seal, withArtifactsFrom })
  } finally {
    db.close()
  }
})
