#!/usr/bin/env bun
import { VERSION } from "./config"
import { FatalError, HiveError, UsageError } from "./errors"
import { KeyError } from "./secrets/keyring"
import { MigrationError } from "./db/migrate"
import * as migrate from "./cli/migrate"
import * as oauth from "./cli/oauth"
import * as secrets from "./cli/secrets"
import * as serve from "./cli/serve"
import * as token from "./cli/token"

type Command = { summary: string; help: string; run(argv: string[]): Promise<number> }
const commands: Record<string, Command> = { serve, migrate, token, secrets, oauth }

const HELP = `hive ${VERSION} — local state server for a fleet of AI coding agents

Usage: hive <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Options:
  -h, --help       show help (also: hive <command> --help)
  -v, --version    print the version

Data lives in $HIVE_HOME (default ~/.hive); the master key in $XDG_CONFIG_HOME/hive/master.key.`

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" && rest[0] ? commands[rest[0]] : undefined
    console.log(topic ? topic.help : HELP)
    return 0
  }
  if (name === "--version" || name === "-v" || name === "version") return console.log(VERSION), 0
  const command = commands[name]
  if (!command) throw new UsageError(name.startsWith("-") ? `unknown option ${name} (see \`hive --help\`)` : `unknown command "${name}" (see \`hive --help\`)`)
  return command.run(rest)
}

function report(err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`hive: ${err.message}`)
    return 2
  }
  if (err instanceof FatalError || err instanceof KeyError || err instanceof MigrationError || err instanceof HiveError) {
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
