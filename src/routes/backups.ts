import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { backupView, listBackups } from "../db/backup"
import { notFound } from "../errors"

const Name = t.Object({
  name: t.String({ pattern: "^hive-[0-9TZ-]{24}(-[a-z-]{1,40})?\\.db(\\.enc)?$", description: "a backup's name from GET /api/backups" }),
})

/** The backups in the data home's backups/, newest first, and each one's file. */
export const backups = ({ config }: Pick<Hive, "config">) =>
  new Elysia({ name: "routes.backups", prefix: "/backups", detail: { tags: ["backups"] } })
    .get("", () => ({ items: listBackups(config.backupsDir).map(backupView) }), {
      detail: { description: "Name, label (pre-migrate, before-restore…), encrypted or not, size and time, newest first." },
    })
    .get(
      "/:name",
      ({ params }) => {
        // Only a name the listing gives: nothing from the request is joined into a path.
        const found = listBackups(config.backupsDir).find((b) => b.name === params.name)
        if (!found) throw notFound("backup", params.name)
        return new Response(Bun.file(found.path), {
          headers: {
            "content-type": "application/octet-stream",
            "content-disposition": `attachment; filename="${found.name}"`,
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
          },
        })
      },
      {
        params: Name,
        detail: {
          description:
            "The backup file, as a download. An encrypted one (.db.enc) opens only with this machine's master key; a plain one holds secrets sealed, never in the clear. Restore it with `hive restore FILE` while hive is stopped.",
        },
      },
    )
