import type { ParseArgsConfig, parseArgs } from "node:util"
import { UsageError } from "../errors"
import { didYouMean } from "./suggest"
import { MAX_LIMIT } from "../db/entity"

type Options = NonNullable<ParseArgsConfig["options"]>

export const HOME_OPTION = { home: { type: "string" } } as const satisfies Options
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const satisfies Options
export const JSON_OPTION = { json: { type: "boolean" } } as const satisfies Options

/** --json output: the value as the API answers it (the same schema GET /openapi gives), pretty-printed. */
export const printJson = (value: unknown) => out(JSON.stringify(value, null, 2))

/** --json on a command that prints no list or report is a mistake, not a no-op. */
export function jsonOnlyFor(command: string, json: boolean | undefined, allowed: boolean, what: string) {
  if (json && !allowed) throw new UsageError(`${command}: --json is for ${what}`)
}

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP_OPTION; allowPositionals: true; strict: true }>>

/**
 * node:util's parseArgs in strict mode, as hive uses it: long options (`--port 7420`, `--port=7420`), booleans
 * that take no value, one-letter aliases (`-h`, `-f`, grouped as `-fh`), `--` before positionals. Written here
 * because node:util costs `hive serve` ~3 ms and 2.4 MB to load, for this one function. Errors are one-line
 * usage errors (exit 2).
 */
export function parse<O extends Options>(command: string, argv: string[], options: O): Parsed<O> {
  const all: Options = { ...options, ...HELP_OPTION }
  const byShort = new Map(Object.entries(all).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])))
  const refuse = (why: string) => new UsageError(`${command}: ${why} (see \`${command} --help\`)`)
  const values: Record<string, string | boolean> = {}
  const positionals: string[] = []
  const take = (name: string, shown: string, inline: string | undefined, rest: string[]) => {
    const option = Object.hasOwn(all, name) ? all[name] : undefined
    if (!option)
      throw refuse(
        `unknown option ${shown}${didYouMean(
          shown,
          Object.keys(all).map((n) => `--${n}`),
        )}`,
      )
    if (option.type === "boolean") {
      if (inline !== undefined) throw refuse(`option ${shown} takes no value`)
      values[name] = true
      return
    }
    const next = rest[0]
    const value = inline ?? (next !== undefined && (next === "-" || !next.startsWith("-")) ? rest.shift() : undefined)
    if (value === undefined) throw refuse(`option ${shown} needs a value${rest[0] ? ` (write ${shown}=${rest[0]} for one that starts with "-")` : ""}`)
    values[name] = value
  }
  const rest = [...argv]
  while (rest.length) {
    const arg = rest.shift()!
    if (arg === "--") {
      positionals.push(...rest)
      break
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=")
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq)
      take(name, `--${name}`, eq < 0 ? undefined : arg.slice(eq + 1), rest)
    } else if (arg.startsWith("-") && arg.length > 1) {
      const letters = arg.slice(1)
      for (let i = 0; i < letters.length; i++) {
        const name = byShort.get(letters[i]!)
        if (!name) throw refuse(`unknown option -${letters[i]}`)
        // A string option's value is the rest of the group (`-n5`) or the next argument.
        if (all[name]!.type === "string") {
          take(name, `-${letters[i]}`, i + 1 < letters.length ? letters.slice(i + 1) : undefined, rest)
          break
        }
        take(name, `-${letters[i]}`, undefined, rest)
      }
    } else positionals.push(arg)
  }
  return { values, positionals } as unknown as Parsed<O>
}

/** Rejects positionals a command does not take, so a typo is never silently ignored. */
export function noExtra(command: string, positionals: string[], allowed = 0) {
  if (positionals.length > allowed) throw new UsageError(`${command}: unexpected argument "${positionals[allowed]}" (see \`${command} --help\`)`)
}

export { parseDuration } from "../config"

/** A subcommand the command does not have, with the one it most likely means. */
export const unknownSubcommand = (command: string, sub: string, names: readonly string[]) =>
  new UsageError(`${command}: unknown subcommand "${sub}"${didYouMean(sub, names)} (see \`${command} --help\`)`)

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
  if (!names.includes(sub as S)) throw unknownSubcommand(command, sub, names)
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

/**
 * Rows under a header, each column as wide as its widest cell (the last one is left ragged); a cell is cut at
 * `max` characters and has its line breaks flattened, so one row stays one line.
 */
export function table(header: string[], rows: (string | number | null | undefined)[][], max = 60): string {
  const cells = rows.map((r) => r.map((c) => flat(c === null || c === undefined ? "-" : String(c), max)))
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()
  return [line(header), ...cells.map(line)].join("\n")
}

const flat = (s: string, max: number) => {
  const one = s.replace(/\s*[\r\n]+\s*/g, " ⏎ ")
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}

/** --limit N of a list through the API: a whole number from 1 to the API's cap, 50 by default. */
export function pageLimit(command: string, raw: string | undefined, fallback = 50): number {
  if (raw === undefined) return fallback
  if (!/^[1-9]\d{0,5}$/.test(raw) || Number(raw) > MAX_LIMIT)
    throw new UsageError(`${command}: --limit must be a whole number from 1 to ${MAX_LIMIT}, got "${raw}"`)
  return Number(raw)
}
