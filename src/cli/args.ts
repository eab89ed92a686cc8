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

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const MAX_TTL_MS = 3650 * UNITS.d!

/** "90s", "15m", "12h", "30d", "2w" to milliseconds. */
export function parseDuration(flag: string, raw: string): number {
  const match = /^(\d+)([smhdw])$/.exec(raw.trim())
  if (!match) throw new UsageError(`${flag} must look like 90s, 15m, 12h, 30d or 2w, got "${raw}"`)
  const ms = Number(match[1]) * UNITS[match[2]!]!
  if (ms <= 0 || ms > MAX_TTL_MS) throw new UsageError(`${flag} must be between 1s and 3650d, got "${raw}"`)
  return ms
}

export const out = (line = "") => void process.stdout.write(line + "\n")
export const err = (line = "") => void process.stderr.write(line + "\n")
