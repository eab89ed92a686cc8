import { expect, test } from "bun:test"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { ERROR_KINDS } from "../src/errors"
import { ROOT } from "./helpers"

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith(".ts") ? [join(dir, n)] : []))

test("every error hive throws is of a known kind, with that kind's one status", () => {
  const wrong: string[] = []
  let seen = 0
  for (const file of files(join(ROOT, "src")))
    for (const m of readFileSync(file, "utf8").matchAll(/new HiveError\(\s*(\d+),\s*"([a-z_]+)"/g)) {
      seen++
      const [status, kind] = [Number(m[1]), m[2]!]
      if ((ERROR_KINDS as Record<string, number>)[kind] !== status) wrong.push(`${file.slice(ROOT.length + 1)}: ${kind} with ${status}`)
    }
  expect(seen).toBeGreaterThan(20)
  expect(wrong).toEqual([])
})
