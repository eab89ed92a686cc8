import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { backupView, findBackup, listBackups } from "../db/backup"
import { notFound } from "../errors"
import { runCli } from "./cli-child"

/** A full integrity check of a large backup takes a while. */
const CHECK_TIMEOUT_MS = 5 * 60_000

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
        // Only a name of a backup's shape, in backups/: nothing else from the request reaches a path.
        const found = findBackup(config.backupsDir, params.name)
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
    .post(
      "/:name/check",
      async ({ params }) => {
        const found = findBackup(config.backupsDir, params.name)
        if (!found) throw notFound("backup", params.name)
        const { stdout, code, reason } = await runCli(config, ["restore", found.path, "--check"], { timeoutMs: CHECK_TIMEOUT_MS })
        const said = code === 0 ? (stdout.trim().split("\n").at(-1) ?? "") : reason
        // The data home's paths stay its own: the backup is named as the list names it.
        return { name: found.name, ok: code === 0, message: said.replaceAll(found.path, found.name) }
      },
      {
        params: Name,
        detail: {
          summary: "Check that a backup would restore",
          description:
            "Runs `hive restore --check` on it: decrypts it if sealed, PRAGMA integrity_check, a schema exactly as this hive's migrations build it (an older one migrated forward on a copy), and the master key opens what it holds. Changes nothing. `ok` says whether it would restore, `message` why not.",
        },
      },
    )
