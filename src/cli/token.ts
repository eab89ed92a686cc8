import * as Config from "../config"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import { HOME_OPTION, JSON_OPTION, err, jsonOnlyFor, noExtra, out, parse, parseDuration, printJson, timestamp, unknownSubcommand } from "./args"
import { prepare } from "./home"
import type { Grant } from "../auth/jwt"
import { SCOPE_PURPOSE, SCOPES } from "../auth/scopes"
import { type TokenRow, tokenView } from "../db/tokens"
import { AGENT_NAME } from "../db/agents"

export const help = `Usage: hive token create --name NAME [--scope admin|hooks|read] [--ttl 30d] [--home DIR]
       hive token create --agent NAME [--ttl 30d] [--home DIR]
       hive token list [--json] [--home DIR]
       hive token revoke ID [--home DIR]

  create   print a new JWT on stdout (only the token, so TOKEN=$(hive token create ...) works)
  list     list tokens: id, name, scope, created, expires, status (never the token itself)
  revoke   refuse the token from its very next request

Scopes:
${SCOPES.map((s) => `  ${(s === "agent" ? "--agent NAME" : s).padEnd(13)} ${SCOPE_PURPOSE[s]}`).join("\n")}

Options:
  --name NAME   what the token is for, e.g. "claude-hooks" (create; with --agent, the agent's name by default)
  --scope S     admin (the default), hooks or read (create)
  --agent NAME  an agent's token: every write it makes is as that agent (create; the agent is added if new)
  --json        list: the tokens as GET /api/tokens answers them
  --ttl DUR     lifetime: 90s, 15m, 12h, 30d, 2w (default 30d, at most 3650d)
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help`

const scopeLabel = (r: TokenRow) => (r.scope === "agent" ? `agent:${r.agent}` : r.scope)

function grantOf(scope: string | undefined, agent: string | undefined): Grant {
  if (agent !== undefined) {
    if (scope !== undefined && scope !== "agent") throw new UsageError("hive token create: --agent makes an agent token; leave out --scope")
    if (!new RegExp(AGENT_NAME).test(agent))
      throw new UsageError(`hive token create: --agent "${agent}": lower-case letters, digits, . _ - (at most 63; "operator" is reserved)`)
    return { scope: "agent", agent }
  }
  if (scope === undefined || scope === "admin" || scope === "hooks" || scope === "read") return { scope: scope ?? "admin" }
  if (scope === "agent") throw new UsageError("hive token create: an agent token names its agent: --agent NAME")
  throw new UsageError(`hive token create: --scope "${scope}": must be admin, hooks or read (or --agent NAME)`)
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive token", argv, {
    ...HOME_OPTION,
    name: { type: "string" },
    ttl: { type: "string" },
    scope: { type: "string" },
    agent: { type: "string" },
    ...JSON_OPTION,
  })
  if (values.help) return (out(help), 0)
  const [sub, id] = positionals
  if (!sub) throw new UsageError("hive token: missing subcommand: create, list or revoke (see `hive token --help`)")
  if (!["create", "list", "revoke"].includes(sub)) throw unknownSubcommand("hive token", sub, ["create", "list", "revoke"])
  jsonOnlyFor(`hive token ${sub}`, values.json, sub === "list", "hive token list")
  const config = Config.load({ home: values.home })
  const { db, stores, auth } = await prepare(config, createLogger(config.logLevel))
  try {
    const tokens = stores.tokens
    if (sub === "create") {
      noExtra("hive token create", positionals, 1)
      const grant = grantOf(values.scope, values.agent)
      const name = values.name?.trim() || grant.agent
      if (!name) throw new UsageError("hive token create: --name is required (what the token is for)")
      if (name.length > 200) throw new UsageError("hive token create: --name must be at most 200 characters")
      const ttl = parseDuration("--ttl", values.ttl ?? "30d")
      if (grant.agent !== undefined && !stores.agents.find(grant.agent)) {
        stores.agents.create(grant.agent)
        err(`added agent ${grant.agent}`)
      } else if (grant.agent !== undefined && stores.agents.get(grant.agent).status === "destroyed")
        throw new UsageError(`hive token create: agent ${grant.agent} is destroyed (bring it back with POST /api/agents/${grant.agent}/revive)`)
      const { token, row } = await auth.issue(name, ttl, grant)
      err(`token ${row.id} "${row.name}" (${scopeLabel(row)}) expires ${timestamp(row.expires_at)}`)
      out(token)
      return 0
    }
    if (sub === "list") {
      noExtra("hive token list", positionals, 1)
      const rows = tokens.list()
      if (values.json) return (printJson({ items: rows.map((r) => tokenView(r)) }), 0)
      if (rows.length === 0) return (out("no tokens; create one with `hive token create --name NAME`"), 0)
      const now = Date.now()
      out(`${"ID".padEnd(36)}  ${"NAME".padEnd(20)}  ${"SCOPE".padEnd(16)}  ${"CREATED".padEnd(20)}  ${"EXPIRES".padEnd(20)}  STATUS`)
      for (const r of rows) {
        const { status } = tokenView(r, now)
        out(
          `${r.id.padEnd(36)}  ${r.name.slice(0, 20).padEnd(20)}  ${scopeLabel(r).slice(0, 16).padEnd(16)}  ${timestamp(r.created_at)}  ${timestamp(r.expires_at)}  ${status}`,
        )
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
