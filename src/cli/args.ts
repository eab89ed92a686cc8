import { parseArgs, type ParseArgsConfig } from "node:util"
import { UsageError } from "../errors"

type Options = NonNullable<ParseArgsConfig["options"]>

export const HOME_OPTION = { home: { type: "string" } } as const satisfies Options
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const satisfies Options

/** node:util parseArgs in strict mode; its errors become one-line usage errors (exit 2). */
export function parse<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, ...HELP_OPTION }, allowPositionals: true, strict: true })
  } catch (err) {
    const message = (err as Error).message.split("\n")[0]!.replace(/\. To specify a positional argument.*$/, "")
    throw new UsageError(`${command}: ${message} (see \`${command} --help\`)`)
  }
}

/** Rejects positionals a command does not take, so a typo is never silently ignored. */
export function noExtra(command: string, positionals: string[], allowed = 0) {
  if (positionals.length > allowed) throw new UsageError(`${command}: unexpected argument "${positionals[allowed]}" (see \`${command} --help\`)`)
}

export { parseDuration } from "../config"

/** A time for a table on a terminal: 2026-11-22 19:02:12Z. */
export const timestamp = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")

export const out = (line = "") => void process.stdout.write(line + "\n")
export const err = (line = "") => void process.stderr.write(line + "\n")
