import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { parseArgs } from "node:util"
import { parse } from "../../src/cli/args"
import { UsageError } from "../../src/errors"

// hive's own parser stands in for node:util's parseArgs (too heavy for `hive serve`'s start): on any argv made
// of the options a command declares, unknown ones and stray values, both agree.
const OPTIONS = {
  port: { type: "string" },
  home: { type: "string" },
  tunnel: { type: "boolean" },
  follow: { type: "boolean", short: "f" },
  limit: { type: "string", short: "n" },
} as const

const node = (argv: string[]) => parseArgs({ args: argv, options: { ...OPTIONS, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true })

const token = fc.oneof(
  fc.constantFrom("--port", "--home", "--tunnel", "--follow", "--limit", "--help", "-h", "-f", "-n", "-fh", "-hf", "-n5", "-fn3", "--", "-"),
  fc.constantFrom("--port=7420", "--tunnel=yes", "--home=", "--nope", "-x", "--__proto__", "--toString", "--limit=-1"),
  fc.stringMatching(/^[a-z0-9./]{1,6}$/),
)

describe("hive's argument parser", () => {
  test("agrees with node:util parseArgs (strict) on what it accepts and what it gives", () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
        let expected: ReturnType<typeof node> | undefined
        try {
          expected = node(argv)
        } catch {}
        let actual: ReturnType<typeof node> | undefined
        let refused: unknown
        try {
          actual = parse("hive test", argv, OPTIONS)
        } catch (err) {
          refused = err
        }
        if (expected === undefined) {
          expect(refused).toBeInstanceOf(UsageError)
          return
        }
        expect(refused).toBeUndefined()
        expect({ ...actual!.values }).toEqual({ ...expected.values })
        expect(actual!.positionals).toEqual(expected.positionals)
      }),
      { numRuns: 3000 },
    )
  })

  test("says what is wrong, naming the command, with the option it most likely meant", () => {
    expect(() => parse("hive serve", ["--prot", "1"], OPTIONS)).toThrow('hive serve: unknown option --prot (did you mean "--port"?) (see `hive serve --help`)')
    expect(() => parse("hive serve", ["--tunnel=1"], OPTIONS)).toThrow("hive serve: option --tunnel takes no value")
    expect(() => parse("hive serve", ["--port"], OPTIONS)).toThrow("hive serve: option --port needs a value")
    expect(() => parse("hive serve", ["--port", "-1"], OPTIONS)).toThrow('option --port needs a value (write --port=-1 for one that starts with "-")')
    expect(parse("hive serve", ["--port=-1"], OPTIONS).values.port).toBe("-1")
  })
})
