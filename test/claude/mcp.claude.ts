import { expect, test } from "bun:test"
import { hive, MAIN } from "../helpers"
import { claudeHarness } from "./harness"

// The real Claude Code CLI (scripts/ensure-claude.sh), offline: its model is the mock above, which answers a
// prompt holding MCP-SEND-MARKER with a call of hive's send_message tool. Claude Code is set up the way
// README tells an agent's author to: an agent token, `claude mcp add`, and nothing else.
const { env, mock, server, claude: run } = await claudeHarness()
const claude = (args: string[]) => run(args, { MCP_TIMEOUT: "20000" })

test("a claude -p run whose model calls mcp__hive__send_message leaves the message in the recipient's inbox", async () => {
  for (const agent of ["alice", "bob"]) expect((await hive(["token", "create", "--agent", agent], env)).code).toBe(0)
  const token = (await hive(["token", "create", "--agent", "alice"], env)).stdout.trim()
  const bobToken = (await hive(["token", "create", "--agent", "bob"], env)).stdout.trim()

  // README's set-up: `claude mcp add hive --env HIVE_TOKEN=... -- hive mcp` (hive here is the source tree).
  const added = await claude([
    "mcp",
    "add",
    "--scope",
    "user",
    "hive",
    "--env",
    `HIVE_TOKEN=${token}`,
    "--env",
    `HIVE_HOME=${env.HIVE_HOME}`,
    "--",
    "bun",
    MAIN,
    "mcp",
  ])
  expect(added.code).toBe(0)

  const run = await claude(["-p", "MCP-SEND-MARKER to=bob body=hello bob, from Claude Code", "--allowedTools", "mcp__hive__send_message"])
  expect(run.code).toBe(0)
  expect(run.stdout).toContain("Tool said:")
  // Claude Code offered the model hive's tools, with their schemas.
  const offered = mock.requests.flatMap((r) => r.tools ?? []).map((t) => t.name)
  expect(offered).toContain("mcp__hive__ask_question")

  const inbox = await fetch(`${server.url}/api/messages/inbox/bob`, { headers: { authorization: `Bearer ${bobToken}` } })
  const messages = ((await inbox.json()) as { items: { sender: string; body: string }[] }).items
  expect(messages.map((m) => [m.sender, m.body])).toEqual([["alice", "hello bob, from Claude Code"]])
}, 180_000)
