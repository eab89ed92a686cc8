import * as Config from "../config"
import { HOME_OPTION, noExtra, out, pageLimit, parse, table, timestamp } from "./args"
import { call, connect, remoteEnvironment } from "./remote"

export const help = `Usage: hive agents [--limit N] [--cursor C] [--json]

Lists the running server's agents by name: status, model, when it was added.
Add one with \`hive token create --agent NAME\` (its token, for \`hive mcp\`), or POST /api/agents.

Options:
  --limit N    at most N (default 50, at most 500); --cursor C for the page after C
  --json       the page as the API answers it (GET /api/agents)
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help

${remoteEnvironment("admin or read")}`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive agents", argv, {
    ...HOME_OPTION,
    limit: { type: "string" },
    cursor: { type: "string" },
    json: { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  noExtra("hive agents", positionals)
  const limit = pageLimit("hive agents", values.limit)
  const { api, url } = await connect("hive agents", Config.load({ home: values.home }))
  const page = await call("hive agents", url, () => api.agents.get({ query: { limit, ...(values.cursor ? { cursor: values.cursor } : {}) } }))
  if (values.json) return (out(JSON.stringify(page, null, 2)), 0)
  if (page.items.length === 0) return (out("no agents; add one with `hive token create --agent NAME`"), 0)
  out(
    table(
      ["NAME", "STATUS", "MODEL", "ADDED"],
      page.items.map((a) => [a.name, a.status, a.model, timestamp(a.created_at)]),
    ),
  )
  if (page.next_cursor) out(`more: hive agents --cursor ${page.next_cursor}`)
  return 0
}
