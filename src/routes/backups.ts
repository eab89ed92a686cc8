import { Elysia } from "elysia"
import type { Hive } from "../hive"
import { backupView, listBackups } from "../db/backup"

/** The backups in the data home's backups/, newest first. */
export const backups = ({ config }: Pick<Hive, "config">) =>
  new Elysia({ name: "routes.backups", prefix: "/backups", detail: { tags: ["backups"] } }).get(
    "",
    () => ({ items: listBackups(config.backupsDir).map(backupView) }),
    { detail: { description: "Name, label (pre-migrate, before-restore…), encrypted or not, size and time, newest first." } },
  )
