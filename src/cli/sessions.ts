import * as Config from "../config"
import { UsageError } from "../errors"
import { HOME_OPTION, noExtra, out, pageLimit, parse, table, timestamp } from "./args"
import { call, connect, remoteEnvironment } from "./remote"

export const help = `Usage: hive sessions [--status S] [--state S] [--project ID] [--limit N] [--cursor C] [--json]

Lists the running server's sessions, newest first: id, status, state, last change, where it runs.

Options:
  --status S    idle, running, awaiting_input or error
  --state S     active, ended, dead, expired (hive's own), or any state a client set
  --project ID  the sessions of one project
  --limit N     at most N (default 50, at most 500); the last line says how to see more
  --cursor C    the page after C (the cursor the previous page printed)
  --json        the page as the API answers it (GET /api/sessions)
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help

${remoteEnvironment("admin, or read (hive token create --name cli --scope read)")}`

const STATUSES = ["idle", "running", "awaiting_input", "error"] as const

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive sessions", argv, {
    ...HOME_OPTION,
    status: { type: "string" },
    state: { type: "string" },
    project: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    json: { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  noExtra("hive sessions", positionals)
  const status = values.status as (typeof STATUSES)[number] | undefined
  if (status !== undefined && !STATUSES.includes(status)) throw new UsageError(`hive sessions: --status must be one of ${STATUSES.join(", ")}`)
  const limit = pageLimit("hive sessions", values.limit)
  const config = Config.load({ home: values.home })
  const { api, url } = await connect("hive sessions", config)
  const query = {
    order: "desc" as const,
    limit,
    ...(values.cursor ? { cursor: values.cursor } : {}),
    ...(status ? { status } : {}),
    ...(values.state ? { state: values.state } : {}),
    ...(values.project ? { project_id: values.project } : {}),
  }
  const page = await call("hive sessions", url, () => api.sessions.get({ query }))
  if (values.json) return (out(JSON.stringify(page, null, 2)), 0)
  if (page.items.length === 0) return (out("no sessions match"), 0)
  out(
    table(
      ["ID", "STATUS", "STATE", "UPDATED", "NAME", "CWD"],
      page.items.map((s) => [s.id, s.status, s.state, timestamp(s.updated_at), s.label ?? s.name, s.cwd]),
    ),
  )
  if (page.next_cursor) out(`more: hive sessions --cursor ${page.next_cursor}${values.limit ? ` --limit ${limit}` : ""}`)
  return 0
}
