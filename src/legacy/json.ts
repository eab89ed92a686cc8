import type * as Jsonc from "jsonc-parser"
import type { Node, ParseError } from "jsonc-parser"
import { LegacyFormatError } from "./import"

// jsonc-parser costs ~3 ms to load, and the migrations that import legacy files sit on `hive serve`'s
// start-up path although they run once: loaded when a legacy file is read.
let jsonc: typeof Jsonc | undefined
// Its ES module build, as `import` resolves it: the UMD one that `require("jsonc-parser")` picks requires its
// parts at run time, which the bundled binary does not hold.
const parser = () => (jsonc ??= require("jsonc-parser/lib/esm/main.js") as typeof Jsonc)

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

function position(text: string, offset: number) {
  const before = text.slice(0, offset)
  const line = before.split("\n").length
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`
}

/**
 * Strict JSON with errors a person can find: "line 3, column 14: ValueExpected". Also returns the syntax
 * tree, which (unlike JSON.parse) still shows keys written twice, so imports can count duplicates.
 */
export function parseJson(bytes: Uint8Array): { value: unknown; tree: Node | undefined } {
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    throw new LegacyFormatError("is not valid UTF-8")
  }
  const errors: ParseError[] = []
  const { parseTree, printParseErrorCode } = parser()
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  if (errors.length) {
    const first = errors[0]!
    throw new LegacyFormatError(`is not valid JSON: ${printParseErrorCode(first.error)} at ${position(text, first.offset)}`)
  }
  return { value: JSON.parse(text), tree }
}

/** How many keys of an object node appear more than once (JSON.parse keeps the last of each). */
export function duplicateKeys(node: Node | undefined): number {
  if (node?.type !== "object") return 0
  const keys = (node.children ?? []).map((p) => p.children?.[0]?.value as string)
  return keys.length - new Set(keys).size
}

/** The child node of an object node under `key`. */
export const childOf = (node: Node | undefined, key: string) =>
  node?.type === "object" ? node.children?.find((p) => p.children?.[0]?.value === key)?.children?.[1] : undefined

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Timestamps in legacy files: ISO strings, or unix milliseconds. */
export function millis(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null
  if (typeof v === "number" && Number.isFinite(v)) return Math.round(v)
  if (typeof v === "string") {
    const ms = Date.parse(v)
    if (!Number.isNaN(ms)) return ms
  }
  throw new LegacyFormatError(`"${field}" must be an ISO time or unix milliseconds, got ${JSON.stringify(v)}`)
}

export function optional<T>(v: unknown, field: string, type: "string" | "number" | "boolean"): T | null {
  if (v === undefined || v === null) return null
  if (typeof v !== type) throw new LegacyFormatError(`"${field}" must be a ${type}, got ${JSON.stringify(v)}`)
  return v as T
}

/** Runs an entry's checks so a shape error names the entry: `has a malformed entry "abc": "pid" must be a number`. */
export function entry<T>(label: string, check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (err instanceof LegacyFormatError) throw new LegacyFormatError(`has a malformed ${label}: ${err.message}`)
    throw err
  }
}
