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

/**
 * The subcommand of `hive <command> <sub> [ARG]`: one of `takes`' keys, whose value names the one argument it
 * requires (or null for none); anything else, a missing argument or an extra one is a usage error.
 */
export function subcommand<S extends string>(
  command: string,
  positionals: string[],
  takes: Record<S, { arg: string; from: string } | null>,
): { sub: S; arg: string } {
  const names = Object.keys(takes) as S[]
  const [sub, arg] = positionals
  if (sub === undefined) throw new UsageError(`${command}: missing subcommand: ${names.join(" or ")} (see \`${command} --help\`)`)
  if (!names.includes(sub as S)) throw new UsageError(`${command}: unknown subcommand "${sub}" (see \`${command} --help\`)`)
  const needs = takes[sub as S]
  noExtra(`${command} ${sub}`, positionals, needs ? 2 : 1)
  if (needs && !arg) throw new UsageError(`${command} ${sub}: missing ${needs.arg} (see \`${needs.from}\`)`)
  return { sub: sub as S, arg: arg ?? "" }
}

/** A time for a table on a terminal: 2026-11-22 19:02:12Z. */
export const timestamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z")

export const out = (line = "") => void process.stdout.write(`${line}\n`)
export const err = (line = "") => void process.stderr.write(`${line}\n`)
