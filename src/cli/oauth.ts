import * as Config from "../config"
import { everyRow } from "../db/entity"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import { FORGE_NAME } from "../secrets/vault"
import { HOME_OPTION, JSON_OPTION, jsonOnlyFor, noExtra, out, parse, printJson, unknownSubcommand } from "./args"
import { cliActor, prepare } from "./home"
import { readSecretInput } from "./input"

export const help = `Usage: hive oauth set FORGE [--account A] [--scope S] [--expires-at ISO-TIME]
       hive oauth get FORGE      print the tokens as JSON (audited)
       hive oauth list [--json]  forges with account, scope, expiry; never token values
       hive oauth rm FORGE

set reads the access token from the first line of stdin and an optional refresh token from the second
(or asks for them, hidden, on a terminal). Tokens are encrypted at rest with AES-256-GCM.

Options:
  --account A       the account the token belongs to
  --scope S         the granted scope
  --expires-at T    when the access token expires (ISO 8601, e.g. 2026-12-01T00:00:00Z)
  --json            list: the forges as GET /api/oauth answers them
  --home DIR        data home (default ~/.hive, env HIVE_HOME)
  -h, --help        show this help`

const SUBCOMMANDS = ["set", "get", "list", "rm"]

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive oauth", argv, {
    ...HOME_OPTION,
    account: { type: "string" },
    scope: { type: "string" },
    "expires-at": { type: "string" },
    ...JSON_OPTION,
  })
  if (values.help) return (out(help), 0)
  const [sub, forge] = positionals
  if (!sub) throw new UsageError(`hive oauth: missing subcommand: ${SUBCOMMANDS.join(", ")} (see \`hive oauth --help\`)`)
  if (!SUBCOMMANDS.includes(sub)) throw unknownSubcommand("hive oauth", sub, SUBCOMMANDS)
  jsonOnlyFor(`hive oauth ${sub}`, values.json, sub === "list", "hive oauth list")
  noExtra(`hive oauth ${sub}`, positionals, sub === "list" ? 1 : 2)
  if (sub !== "list" && (!forge || !new RegExp(FORGE_NAME).test(forge)))
    throw new UsageError(`hive oauth ${sub}: FORGE must be 1-64 of a-z 0-9 . _ -, e.g. github`)
  let expiresAt: number | null = null
  if (values["expires-at"] !== undefined) {
    expiresAt = Date.parse(values["expires-at"])
    if (Number.isNaN(expiresAt)) throw new UsageError(`hive oauth set: --expires-at must be an ISO 8601 time, got "${values["expires-at"]}"`)
  }
  let tokens: string[] = []
  if (sub === "set") {
    tokens = process.stdin.isTTY
      ? [await readSecretInput("access token: "), await readSecretInput("refresh token (empty for none): ")]
      : (await readSecretInput("")).split(/\r?\n/)
    if (!tokens[0]) throw new UsageError("hive oauth set: no access token on stdin")
  }

  const config = Config.load({ home: values.home })
  const { db, oauth } = await prepare(config, createLogger(config.logLevel))
  const actor = cliActor()
  try {
    if (sub === "set") {
      const m = oauth.put(
        forge!,
        { access_token: tokens[0]!, refresh_token: tokens[1] || null, expires_at: expiresAt, scope: values.scope ?? null, account: values.account ?? null },
        actor,
      )
      out(`stored the ${m.forge} oauth token${m.has_refresh_token ? " with a refresh token" : ""}`)
    } else if (sub === "get") out(JSON.stringify(oauth.reveal(forge!, actor), null, 2))
    else if (sub === "rm") {
      oauth.delete(forge!, actor)
      out(`deleted the ${forge} oauth token`)
    } else {
      const rows = everyRow((page) => oauth.list(page))
      if (values.json) return (printJson({ items: rows, next_cursor: null }), 0)
      if (rows.length === 0) out("no oauth tokens; add one with `hive oauth set FORGE`")
      for (const r of rows)
        out(
          `${r.forge.padEnd(12)} account=${r.account ?? "-"} scope=${r.scope ?? "-"} expires=${r.expires_at ? new Date(r.expires_at).toISOString() : "-"} refresh=${r.has_refresh_token ? "yes" : "no"}`,
        )
    }
    return 0
  } finally {
    db.close()
  }
}
