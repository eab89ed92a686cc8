import * as Config from "../config"
import { UsageError } from "../errors"
import { HOME_OPTION, out, pageLimit, parse, subcommand, table, timestamp } from "./args"
import { call, connect, remoteEnvironment } from "./remote"

export const help = `Usage: hive approvals [list] [--status S] [--agent NAME] [--session ID] [--limit N] [--cursor C] [--json]
       hive approvals approve ID [--note TEXT] [--json]
       hive approvals deny ID [--note TEXT] [--json]

  list      the running server's approvals, oldest first: pending ones by default
  approve   allow what the agent (or Claude Code's permission prompt) asked; it is told at once
  deny      refuse it; --note says why (Claude Code shows it to the model)

Options:
  --status S     pending (the default), approved, denied, failed, withdrawn, or all
  --agent NAME   one agent's (a Claude Code session's are "session:NAME")
  --session ID   one session's
  --note TEXT    the reason given with approve or deny
  --limit N      at most N (default 50, at most 500); --cursor C for the page after C
  --json         the API's answer (GET /api/approvals, POST /api/approvals/{id}/resolve)
  --home DIR     data home (default ~/.hive, env HIVE_HOME)
  -h, --help     show this help

${remoteEnvironment("admin (a read token can list)")}`

const STATUSES = ["pending", "approved", "denied", "failed", "withdrawn"] as const

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive approvals", argv, {
    ...HOME_OPTION,
    status: { type: "string" },
    agent: { type: "string" },
    session: { type: "string" },
    note: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    json: { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  const { sub, arg: id } = subcommand("hive approvals", positionals.length ? positionals : ["list"], {
    list: null,
    approve: { arg: "approval ID", from: "hive approvals" },
    deny: { arg: "approval ID", from: "hive approvals" },
  })
  if (sub !== "list" && (values.status || values.agent || values.session || values.limit || values.cursor))
    throw new UsageError(`hive approvals ${sub}: --status, --agent, --session, --limit and --cursor are for list`)
  if (sub === "list" && values.note !== undefined) throw new UsageError("hive approvals: --note is for approve and deny")
  const status = values.status ?? "pending"
  if (status !== "all" && !(STATUSES as readonly string[]).includes(status))
    throw new UsageError(`hive approvals: --status must be one of ${STATUSES.join(", ")} or all`)
  const limit = pageLimit("hive approvals", values.limit)
  const config = Config.load({ home: values.home })
  const { api, url } = await connect(`hive approvals ${sub}`, config)

  if (sub !== "list") {
    const body = { status: sub === "approve" ? ("approved" as const) : ("denied" as const), ...(values.note ? { note: values.note } : {}) }
    const a = await call(`hive approvals ${sub}`, url, () => api.approvals({ id }).resolve.post(body))
    if (values.json) return (out(JSON.stringify(a, null, 2)), 0)
    out(`${a.status} ${a.id}: ${a.agent} ${a.kind}${a.ref ? ` ${a.ref}` : ""}`)
    return 0
  }
  const query = {
    limit,
    ...(values.cursor ? { cursor: values.cursor } : {}),
    ...(status !== "all" ? { status: status as (typeof STATUSES)[number] } : {}),
    ...(values.agent ? { agent: values.agent } : {}),
    ...(values.session ? { session_id: values.session } : {}),
  }
  const page = await call("hive approvals", url, () => api.approvals.get({ query }))
  if (values.json) return (out(JSON.stringify(page, null, 2)), 0)
  if (page.items.length === 0) return (out(status === "pending" ? "no pending approvals" : "no approvals match"), 0)
  out(
    table(
      ["ID", "STATUS", "REQUESTED", "AGENT", "KIND", "REF", "NOTE"],
      page.items.map((a) => [a.id, a.status, timestamp(a.requested_at), a.agent, a.kind, a.ref, a.note]),
    ),
  )
  if (page.next_cursor) out(`more: hive approvals --cursor ${page.next_cursor}`)
  return 0
}
