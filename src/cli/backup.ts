import * as Config from "../config"
import { backupView, listBackups } from "../db/backup"
import { UsageError } from "../errors"
import { backup, backupKey } from "../jobs/backup"
import { createLogger } from "../log"
import { HOME_OPTION, JSON_OPTION, jsonOnlyFor, noExtra, out, parse, printJson, timestamp, unknownSubcommand } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive backup [--encrypt] [--with-artifacts] [--keep N] [--home DIR]
       hive backup list [--json] [--home DIR]

Writes a verified copy of the database to $HIVE_HOME/backups/hive-<time>.db: a consistent snapshot
(VACUUM INTO, safe while hive serves), checked with PRAGMA integrity_check before it takes its name.
Then keeps the newest N backups (default 7, env HIVE_BACKUP_KEEP). A server makes one every day at 03:00.

The master key is never in a backup (it lives outside the data home), and encrypted secrets stay
encrypted in it: keep a copy of the key file somewhere safe, or the backup's secrets cannot be read.

  list         the backups in backups/, newest first

Options:
  --encrypt    encrypt the whole file (AES-256-GCM, key derived from the master key), so no plaintext
               row leaves the machine; written as hive-<time>.db.enc (env HIVE_BACKUP_ENCRYPT=true)
  --with-artifacts
               also keep the artifact files the database refers to, in hive-<time>.db.artifacts/ beside
               it (hard links: no space used until the originals are deleted; copies across file
               systems). They are not encrypted (they are not on disk either). \`hive restore\` puts them back
  --keep N     how many backups to keep (default 7)
  --json       list: the backups as GET /api/backups answers them
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

const size = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`)

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive backup", argv, {
    ...HOME_OPTION,
    ...JSON_OPTION,
    encrypt: { type: "boolean" },
    "with-artifacts": { type: "boolean" },
    keep: { type: "string" },
  })
  if (values.help) return (out(help), 0)
  const [sub] = positionals
  if (sub !== undefined && sub !== "list") throw unknownSubcommand("hive backup", sub, ["list"])
  noExtra("hive backup", positionals, sub ? 1 : 0)
  jsonOnlyFor("hive backup", values.json, sub === "list", "hive backup list")
  const config = Config.load({ home: values.home })
  if (sub === "list") {
    const all = listBackups(config.backupsDir)
    if (values.json) return (printJson({ items: all.map(backupView) }), 0)
    if (all.length === 0) return (out(`no backups in ${config.backupsDir}; make one with \`hive backup\``), 0)
    for (const b of all) {
      const kept = backupView(b).artifacts_bytes
      out(
        `${timestamp(b.created_at)}  ${size(b.bytes).padStart(10)}  ${b.encrypted ? "encrypted" : "plain    "}  ${b.path}${kept === null ? "" : `  + artifacts ${size(kept)}`}`,
      )
    }
    return 0
  }
  let keep = config.jobs.backupKeep
  if (values.keep !== undefined) {
    keep = Number(values.keep)
    if (!/^\d+$/.test(values.keep) || keep < 1 || keep > 10_000)
      throw new UsageError(`hive backup: --keep must be a whole number from 1 to 10000, got "${values.keep}"`)
  }
  const { db, keys } = await prepare(config, createLogger(config.logLevel))
  try {
    const result = backup(db, config.backupsDir, {
      keep,
      seal: values.encrypt || config.jobs.backupEncrypt ? backupKey(keys) : undefined,
      withArtifactsFrom: values["with-artifacts"] ? config.home : undefined,
    })
    out(`backed up to ${result.path} (${size(result.bytes)}${result.encrypted ? ", encrypted" : ""}; integrity ok)`)
    if (result.artifacts) {
      out(`kept ${result.artifacts.files} artifact file(s) (${size(result.artifacts.bytes)}) in ${result.artifacts.dir}`)
      for (const path of result.artifacts.missing) out(`missing: ${path} (its row is in the backup; the file was not on disk, see \`hive doctor\`)`)
    }
    for (const path of result.removed) out(`removed older backup ${path}`)
    return 0
  } finally {
    db.close()
  }
}
