import * as Config from "../config"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import { HOME_OPTION, err, noExtra, out, parse, parseDuration, timestamp } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive token create --name NAME [--ttl 30d] [--home DIR]
       hive token list [--home DIR]
       hive token revoke ID [--home DIR]

  create   print a new admin JWT on stdout (only the token, so TOKEN=$(hive token create ...) works)
  list     list tokens: id, name, created, expires, status (never the token itself)
  revoke   refuse the token from its very next request

Options:
  --name NAME   what the token is for, e.g. "claude-hooks" (create)
  --ttl DUR     lifetime: 90s, 15m, 12h, 30d, 2w (default 30d, at most 3650d)
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive token", argv, { ...HOME_OPTION, name: { type: "string" }, ttl: { type: "string" } })
  if (values.help) return (out(help), 0)
  const [sub, id] = positionals
  if (!sub) throw new UsageError("hive token: missing subcommand: create, list or revoke (see `hive token --help`)")
  if (!["create", "list", "revoke"].includes(sub)) throw new UsageError(`hive token: unknown subcommand "${sub}" (see \`hive token --help\`)`)
  const config = Config.load({ home: values.home })
  const { db, stores, auth } = await prepare(config, createLogger(config.logLevel))
  try {
    const tokens = stores.tokens
    if (sub === "create") {
      noExtra("hive token create", positionals, 1)
      const name = values.name?.trim()
      if (!name) throw new UsageError("hive token create: --name is required (what the token is for)")
      if (name.length > 200) throw new UsageError("hive token create: --name must be at most 200 characters")
      const ttl = parseDuration("--ttl", values.ttl ?? "30d")
      const { token, row } = await auth.issue(name, ttl)
      err(`token ${row.id} "${row.name}" expires ${timestamp(row.expires_at)}`)
      out(token)
      return 0
    }
    if (sub === "list") {
      noExtra("hive token list", positionals, 1)
      const rows = tokens.list()
      if (rows.length === 0) return (out("no tokens; create one with `hive token create --name NAME`"), 0)
      const now = Date.now()
      out(`${"ID".padEnd(36)}  ${"NAME".padEnd(20)}  ${"CREATED".padEnd(20)}  ${"EXPIRES".padEnd(20)}  STATUS`)
      for (const r of rows) {
        const status = r.revoked_at !== null ? "revoked" : r.expires_at <= now ? "expired" : "active"
        out(`${r.id.padEnd(36)}  ${r.name.slice(0, 20).padEnd(20)}  ${timestamp(r.created_at)}  ${timestamp(r.expires_at)}  ${status}`)
      }
      return 0
    }
    noExtra("hive token revoke", positionals, 2)
    if (!id) throw new UsageError("hive token revoke: missing token ID (see `hive token list`)")
    const row = tokens.revoke(id)
    out(`revoked token ${row.id} "${row.name}"`)
    return 0
  } finally {
    db.close()
  }
}
