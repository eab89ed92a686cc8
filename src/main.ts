#!/usr/bin/env bun
import * as HookCommand from "./cli/hook"
import { VERSION } from "./config"
import { FatalError, HiveError, UsageError } from "./errors"
import { didYouMean } from "./cli/suggest"

type Command = { help: string; run(argv: string[]): Promise<number> }

// Each command's modules load only when it runs: `hive --version` must not pay for the server, the
// migrations and the crypto of every other command. The hook, which Claude Code waits for, is the exception:
// its few small modules load with this one, which spares it a dynamic import (~1 ms of its run).
const commands: Record<string, { summary: string; load(): Promise<Command> }> = {
  serve: { summary: "apply pending migrations, then serve the API", load: () => import("./cli/serve") },
  migrate: { summary: "apply pending migrations (status, down, --dry-run)", load: () => import("./cli/migrate") },
  token: { summary: "create, list and revoke API tokens (admin, agent, hooks, read)", load: () => import("./cli/token") },
  secrets: { summary: "store, reveal, materialize and rotate encrypted secrets", load: () => import("./cli/secrets") },
  oauth: { summary: "store, show and remove operator OAuth tokens per forge", load: () => import("./cli/oauth") },
  pair: { summary: "pair a phone: a QR code and a 6-digit code, valid 2 minutes, single use", load: () => import("./cli/pair") },
  devices: { summary: "list paired phones, or revoke one", load: () => import("./cli/devices") },
  desk: { summary: "open the desk (the dashboard) in a browser, signed in by a one-time link", load: () => import("./cli/desk") },
  tunnel: { summary: "the phone tunnel's status (open it with hive serve --tunnel)", load: () => import("./cli/tunnel") },
  sessions: { summary: "list the running server's sessions, newest first (--json for scripts)", load: () => import("./cli/sessions") },
  agents: { summary: "list the running server's agents", load: () => import("./cli/agents") },
  approvals: { summary: "list pending approvals; approve ID or deny ID", load: () => import("./cli/approvals") },
  questions: { summary: "list open questions; answer ID ANSWER", load: () => import("./cli/questions") },
  events: { summary: "list events, or --follow them live", load: () => import("./cli/events") },
  mcp: { summary: "the broker's tools for one agent over MCP (stdio), for `claude mcp add`", load: () => import("./cli/mcp") },
  hook: { summary: "record a Claude Code hook (reads its JSON on stdin; for settings.json)", load: async () => HookCommand },
  jobs: { summary: "list the scheduled jobs (retention, vacuum, backup) or run one now", load: () => import("./cli/jobs") },
  backup: { summary: "write a verified (optionally encrypted) copy of the database; list backups", load: () => import("./cli/backup") },
  restore: { summary: "replace the database with a backup, after checking it", load: () => import("./cli/restore") },
  export: { summary: "write projects, sessions, events… as JSON lines (a project, a session, or everything)", load: () => import("./cli/export") },
  import: { summary: "read a `hive export` file back, skipping or replacing conflicts, with a report", load: () => import("./cli/import") },
  doctor: { summary: "check the database, schema, key, disk and backups; print fixes", load: () => import("./cli/doctor") },
  completion: {
    summary: "print a shell completion script: hive completion bash|zsh|fish",
    load: async () => (await import("./cli/completion")).completionCommand(completions),
  },
}

/** Every command's completion, read from its --help (loads every command module: only for `hive completion`). */
async function completions() {
  const { completionOf } = await import("./cli/completion")
  return Promise.all(Object.entries(commands).map(async ([name, c]) => completionOf(name, c.summary, (await c.load()).help)))
}

const help = () => `hive ${VERSION} — local state server for a fleet of AI coding agents

Usage: hive <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(11)}${c.summary}`)
  .join("\n")}

Options:
  -h, --help       show help (also: hive <command> --help)
  -v, --version    print the version

Data lives in $HIVE_HOME (default ~/.hive); the master key in $XDG_CONFIG_HOME/hive/master.key.`

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" && rest[0] ? commands[rest[0]] : undefined
    if (name === "help" && rest[0] && !topic)
      throw new UsageError(`help: unknown command "${rest[0]}"${didYouMean(rest[0], Object.keys(commands))} (see \`hive --help\`)`)
    console.log(topic ? (await topic.load()).help : help())
    return 0
  }
  if (name === "--version" || name === "-v" || name === "version") return (console.log(VERSION), 0)
  const command = commands[name]
  if (!command) {
    const known = Object.keys(commands)
    throw new UsageError(
      name.startsWith("-")
        ? `unknown option ${name}${didYouMean(name, ["--help", "--version"])} (see \`hive --help\`)`
        : `unknown command "${name}"${didYouMean(name, known)} (see \`hive --help\`)`,
    )
  }
  return (await command.load()).run(rest)
}

function report(err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`hive: ${err.message}`)
    return 2
  }
  // Every error a user can act on is a FatalError (KeyError and MigrationError among them) or a HiveError.
  if (err instanceof FatalError || err instanceof HiveError) {
    console.error(`hive: ${err.message}`)
    return 1
  }
  console.error(`hive: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  return 1
}

// A promise chain, not top-level await: `bun build --bytecode` emits CommonJS, which has none.
main(process.argv.slice(2)).then(
  (code) => void (process.exitCode = code),
  (err) => void (process.exitCode = report(err)),
)
