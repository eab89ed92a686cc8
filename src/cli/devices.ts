import * as Config from "../config"
import { everyRow } from "../db/entity"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import { HOME_OPTION, JSON_OPTION, jsonOnlyFor, out, parse, printJson, subcommand, timestamp } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive devices list [--json] [--home DIR]
       hive devices rename ID --name NAME [--home DIR]
       hive devices revoke ID [--home DIR]

  list     paired phones: id, name, platform, paired, last seen, status
  rename   give a device the name you tell it by (a phone can rename itself on its page too)
  revoke   refuse the device from its very next request (other devices keep working)

Options:
  --name NAME  the new name (rename), 1 to 100 characters
  --json       list: the devices as GET /api/devices answers them
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

const when = (ms: number | null) => (ms ? timestamp(ms) : "-")

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive devices", argv, { ...HOME_OPTION, ...JSON_OPTION, name: { type: "string" } })
  if (values.help) return (out(help), 0)
  const { sub, arg: id } = subcommand("hive devices", positionals, {
    list: null,
    rename: { arg: "device ID", from: "hive devices list" },
    revoke: { arg: "device ID", from: "hive devices list" },
  })
  const name = values.name?.trim()
  if (sub === "rename" && (!name || name.length > 100)) throw new UsageError("hive devices rename: --name NAME, 1 to 100 characters")
  if (sub !== "rename" && values.name !== undefined) throw new UsageError("hive devices: --name is for rename")
  jsonOnlyFor(`hive devices ${sub}`, values.json, sub === "list", "hive devices list")
  const config = Config.load({ home: values.home })
  const { db, stores } = await prepare(config, createLogger(config.logLevel))
  try {
    if (sub === "rename") {
      const d = stores.pairing.rename(id, name!)
      out(`device ${d.id} is now "${d.name}"`)
      return 0
    }
    if (sub === "revoke") {
      const d = stores.pairing.revoke(id)
      out(`revoked device ${d.id} "${d.name ?? ""}": its next request is refused`)
      return 0
    }
    const all = everyRow((page) => stores.pairing.devices(page))
    if (values.json) return (printJson({ items: all, next_cursor: null }), 0)
    if (all.length === 0) return (out("no paired devices; pair one with `hive pair`"), 0)
    out(`${"ID".padEnd(36)}  ${"NAME".padEnd(16)}  ${"PLATFORM".padEnd(8)}  ${"PAIRED".padEnd(20)}  ${"LAST SEEN".padEnd(20)}  STATUS`)
    for (const d of all)
      out(
        `${d.id.padEnd(36)}  ${(d.name ?? "").slice(0, 16).padEnd(16)}  ${(d.platform ?? "").padEnd(8)}  ${when(d.paired_at)}  ${when(d.last_seen_at).padEnd(20)}  ${d.revoked_at ? "revoked" : "active"}`,
      )
    return 0
  } finally {
    db.close()
  }
}
