import * as Config from "../config"
import { UsageError } from "../errors"
import { HOME_OPTION, noExtra, out, pageLimit, parse, table, timestamp, unknownSubcommand } from "./args"
import { call, connect, remoteEnvironment } from "./remote"

export const help = `Usage: hive questions [list] [--status S] [--limit N] [--cursor C] [--json]
       hive questions answer ID ANSWER... [--json]

  list     the questions agents asked, of the operator (TO -) or of another agent, oldest first: open ones
           by default
  answer   answer one; it must be one of its options when it has some (several, for a multiple choice)

Options:
  --status S   open (the default), answered, timed_out, or all
  --limit N    at most N (default 50, at most 500); --cursor C for the page after C
  --json       the API's answer (GET /api/questions, POST /api/questions/{id}/answer)
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help

${remoteEnvironment("admin (a read token can list)")}`

const STATUSES = ["open", "answered", "timed_out"] as const

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive questions", argv, {
    ...HOME_OPTION,
    status: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    json: { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  const [sub = "list", id, ...answer] = positionals
  if (sub !== "list" && sub !== "answer") throw unknownSubcommand("hive questions", sub, ["list", "answer"])
  if (sub === "list") noExtra("hive questions list", positionals, 1)
  if (sub === "answer" && (!id || answer.length === 0))
    throw new UsageError("hive questions answer: give the question's ID and the answer (see `hive questions`)")
  if (sub === "answer" && (values.status || values.limit || values.cursor))
    throw new UsageError("hive questions answer: --status, --limit and --cursor are for list")
  const status = values.status ?? "open"
  if (status !== "all" && !(STATUSES as readonly string[]).includes(status))
    throw new UsageError(`hive questions: --status must be one of ${STATUSES.join(", ")} or all`)
  const limit = pageLimit("hive questions", values.limit)
  const config = Config.load({ home: values.home })
  const { api, url } = await connect(`hive questions ${sub}`, config)

  if (sub === "answer") {
    // A multiple choice takes each option as its own word; one answer may be several words.
    const question = await call("hive questions answer", url, () => api.questions({ id: id! }).get({ query: {} }))
    const body = { answer: question.multi ? answer : answer.join(" ") }
    const q = await call("hive questions answer", url, () => api.questions({ id: id! }).answer.post(body))
    if (values.json) return (out(JSON.stringify(q, null, 2)), 0)
    out(`answered ${q.id}: ${Array.isArray(q.answer) ? q.answer.join(", ") : q.answer}`)
    return 0
  }
  const query = {
    limit,
    ...(values.cursor ? { cursor: values.cursor } : {}),
    ...(status !== "all" ? { status: status as (typeof STATUSES)[number] } : {}),
  }
  const page = await call("hive questions", url, () => api.questions.get({ query }))
  if (values.json) return (out(JSON.stringify(page, null, 2)), 0)
  if (page.items.length === 0) return (out(status === "open" ? "no open questions" : "no questions match"), 0)
  out(
    table(
      ["ID", "STATUS", "ASKED", "DEADLINE", "ASKER", "TO", "QUESTION", "OPTIONS"],
      page.items.map((q) => [
        q.id,
        q.status,
        timestamp(q.asked_at),
        q.deadline_at ? timestamp(q.deadline_at) : null,
        q.asker,
        q.target,
        q.question,
        q.options.length ? `${q.options.join(" | ")}${q.multi ? " (several)" : ""}` : null,
      ]),
    ),
  )
  if (page.next_cursor) out(`more: hive questions --cursor ${page.next_cursor}`)
  return 0
}
