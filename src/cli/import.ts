import { existsSync, statSync } from "node:fs"
import { resolve } from "node:path"
import * as Config from "../config"
import { schemaVersion } from "../db/migrate"
import * as Portable from "../db/portable"
import { immediate } from "../db/tx"
import { ARTIFACT_PATH, artifactPath, createBlobs, type Incoming } from "../artifacts/blobs"
import { FatalError, UsageError } from "../errors"
import { createLogger } from "../log"
import { err, HOME_OPTION, JSON_OPTION, noExtra, out, parse, printJson } from "./args"
import { cliActor, prepare } from "./home"

export const help = `Usage: hive import FILE [--on-conflict skip|replace] [--json] [--progress] [--home DIR]

Reads a file written by \`hive export\` into this data home and prints a report per table.
The whole file is checked first (header, every line, the end line's count): a damaged or cut-off
file is refused before anything is written.

Every value is checked as API input is (a whole number in range where the column holds one, text where it
holds text); a record that fails is reported and left out. The audit log only grows: an audit record is
added under a new id and marked as imported (never replacing an entry), and the import itself is audited.

A record whose key is new is inserted; one equal to what is stored is left as it is; one that differs:
  --on-conflict skip      (default) keeps what is stored, and counts it as skipped
  --on-conflict replace   overwrites the stored row with the file's
Artifact files are checked against the size and sha256 the export recorded, and placed only where an
artifact row of this install points; an artifact row whose file is in neither is reported as missing.
A record that breaks a rule (a missing parent, a duplicate directory) is reported as failed; the others
still go in, and the exit code is 1. Secrets sealed with a master key this install does not have are
left out and reported. Running the same import again changes nothing.

Options:
  --progress   how far it has got, as JSON lines on stderr: {"progress": {"phase": "checking" or "writing",
               "done": lines or records, "fraction": of the records, when writing}}
  --json       the report as JSON: { file, records, exported_at, schema, mode, tables: { TABLE: { inserted,
               unchanged, replaced, skipped, failed, unreadable } }, files: { written, unchanged, skipped,
               failed }, missing_files, failures }
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

const BATCH = 1000
/** Lines checked between two progress reports in the first pass. */
const PROGRESS_EVERY = 5000

/**
 * The longest line a record can need: an event's payload is at most the API's body limit (1 MiB by default), a
 * sealed secret 64 KiB. A longer line is not hive's, and is refused before it fills memory.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024

/** The file's lines with their numbers, streamed (an export of millions of events never sits in memory). */
async function* lines(path: string): AsyncGenerator<{ n: number; text: string }> {
  const decoder = new TextDecoder("utf-8", { fatal: true })
  let rest = ""
  let n = 0
  for await (const chunk of Bun.file(path).stream()) {
    rest += decoder.decode(chunk, { stream: true })
    let at: number
    while ((at = rest.indexOf("\n")) !== -1) {
      yield { n: ++n, text: rest.slice(0, at) }
      rest = rest.slice(at + 1)
    }
    if (rest.length > MAX_LINE_CHARS)
      throw new FatalError(`${path}, line ${n + 1}: longer than ${MAX_LINE_CHARS / 1024 / 1024} Mi characters, more than any hive record; nothing was imported`)
  }
  rest += decoder.decode()
  if (rest) yield { n: ++n, text: rest }
}

type Counts = Record<Portable.Outcome | "unreadable", number>
const zero = (): Counts => ({ inserted: 0, unchanged: 0, replaced: 0, skipped: 0, failed: 0, unreadable: 0 })

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive import", argv, {
    ...HOME_OPTION,
    ...JSON_OPTION,
    "on-conflict": { type: "string" },
    progress: { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  noExtra("hive import", positionals, 1)
  if (!positionals[0]) throw new UsageError("hive import: missing the FILE to read (written by `hive export`)")
  const mode = values["on-conflict"] ?? "skip"
  if (mode !== "skip" && mode !== "replace") throw new UsageError(`hive import: --on-conflict must be skip or replace, got "${mode}"`)
  const file = resolve(positionals[0])
  if (!existsSync(file) || !statSync(file).isFile()) throw new FatalError(`${file} does not exist or is not a file`)

  // --progress: how far it has got, as JSON lines on stderr (the desk's import shows them while it waits).
  const report = (p: { phase: string; done: number; fraction?: number }) => {
    if (values.progress) err(JSON.stringify({ progress: p }))
  }
  const config = Config.load({ home: values.home })
  const { db, stores, keys } = await prepare(config, createLogger(config.logLevel))
  try {
    const importer = Portable.importer(db, mode)
    const bad = (n: number, why: string) => new FatalError(`${file}, line ${n}: ${why}; nothing was imported`)

    // Pass 1: the whole file is sound, or nothing is written.
    let header: Portable.Header | undefined
    let declared: number | undefined
    let records = 0
    const files = new Set<string>()
    let open: string | undefined // the artifact file whose lines are being read
    try {
      for await (const { n, text } of lines(file)) {
        if (n % PROGRESS_EVERY === 0) report({ phase: "checking", done: n })
        if (declared !== undefined) {
          if (text.trim()) throw bad(n, "there is more after the end line")
          continue
        }
        if (!header) {
          let parsed: Partial<Portable.Header>
          try {
            parsed = JSON.parse(text)
          } catch {
            throw bad(n, "not a hive export (its first line is not a JSON header)")
          }
          if (!Portable.FORMATS_READ.includes(parsed?.hive_export as number)) throw bad(n, `not a hive export of format ${Portable.FORMATS_READ.join(" or ")}`)
          if (typeof parsed.schema !== "number" || parsed.schema > schemaVersion(db))
            throw bad(n, `written by a newer hive (schema ${parsed.schema}; this one is at ${schemaVersion(db)}): upgrade hive first`)
          header = parsed as Portable.Header
          continue
        }
        let record: ReturnType<typeof Portable.decodeLine>
        try {
          record = Portable.decodeLine(text)
        } catch (e) {
          throw bad(n, (e as Error).message)
        }
        if ("end" in record) {
          if (record.end.records !== records) throw bad(n, `the end line counts ${record.end.records} records, the file holds ${records}`)
          if (open !== undefined) throw bad(n, `the file ${open} has no last line (its size and sha256): it was cut short`)
          if ((record.end.files ?? 0) !== files.size) throw bad(n, `the end line counts ${record.end.files ?? 0} files, the file holds ${files.size}`)
          declared = records
          continue
        }
        if ("file" in record) {
          // Files come after every record, each one's lines together, so its row is in before its bytes arrive.
          const path = record.file.file
          if (!ARTIFACT_PATH.test(path)) throw bad(n, `not an artifact path: ${JSON.stringify(path.slice(0, 200))}`)
          if (open !== path && (open !== undefined || files.has(path))) throw bad(n, `the lines of ${open ?? path} are not together`)
          open = "data" in record.file ? path : undefined
          if (!("data" in record.file)) files.add(path)
          continue
        }
        if (files.size || open !== undefined) throw bad(n, "a record after the artifact files (they come last)")
        if (!importer.known(record.table)) throw bad(n, `unknown table ${JSON.stringify(record.table)}`)
        const unknown = importer.unknownColumn(record.table, record.row)
        if (unknown !== undefined) throw bad(n, `${record.table} has no column ${JSON.stringify(unknown)}`)
        records++
      }
    } catch (e) {
      if (e instanceof TypeError) throw new FatalError(`${file} is not UTF-8 text; nothing was imported`)
      throw e
    }
    if (!header) throw new FatalError(`${file} is empty; nothing was imported`)
    if (declared === undefined) throw new FatalError(`${file} has no end line: it was cut short; nothing was imported`)

    // Pass 2: write, a batch of records per transaction (a long import never holds the write lock for long).
    const counts = new Map<string, Counts>()
    const reasons: string[] = []
    let batch: { table: Portable.TableName; row: Portable.Row; n: number }[] = []
    let sealedTouched = false
    const artifactPaths = new Set<string>()
    let firstEvent = Number.MAX_SAFE_INTEGER
    let written = 0
    const write = () => {
      immediate(db, () => {
        for (const { table, row, n } of batch) {
          const c = counts.get(table) ?? zero()
          counts.set(table, c)
          const keyId = row.key_id
          if (Portable.isSealed(table) && (typeof keyId !== "string" || !keys.byId(keyId))) {
            c.unreadable++
            continue
          }
          // A row names the file hive serves for it: only the path hive itself would have stored it under.
          if (table === "artifacts" && row.path !== artifactPath(row)) {
            c.failed++
            if (reasons.length < 10) reasons.push(`line ${n} (artifacts): path must be artifacts/<session_id>/<type>/<sha256>[.gz], as hive stores it`)
            continue
          }
          const r = importer.put(table, row)
          c[r.outcome]++
          if (table === "artifacts" && r.outcome !== "failed") artifactPaths.add(row.path as string)
          if (r.reason && reasons.length < 10) reasons.push(`line ${n} (${table}): ${r.reason}`)
          const written = r.outcome === "inserted" || r.outcome === "replaced"
          if (Portable.isSealed(table) && written) sealedTouched = true
          if (table === "events" && written) firstEvent = Math.min(firstEvent, Number(row.id))
        }
      })
      written += batch.length
      batch = []
      report({ phase: "writing", done: written, fraction: records ? written / records : 1 })
    }
    const blobs = createBlobs(config.home)
    const fileCounts = { written: 0, unchanged: 0, failed: 0, skipped: 0 }
    let incoming: Incoming | undefined
    let current: string | undefined
    try {
      for await (const { n, text } of lines(file)) {
        if (n === 1) continue // the header
        const record = Portable.decodeLine(text)
        if ("end" in record) break
        if (!("file" in record)) {
          batch.push({ table: record.table as Portable.TableName, row: record.row, n })
          if (batch.length >= BATCH) write()
          continue
        }
        if (batch.length) write() // the rows go in before their files
        const line = record.file
        if (line.file !== current) {
          current = line.file
          // Only a file a row now refers to is taken: an export cannot leave files nothing owns.
          incoming = stores.artifacts.isReferenced(line.file) ? blobs.receive(line.file) : undefined
          if (!incoming) fileCounts.skipped++
        }
        if (!incoming) continue
        if ("data" in line) {
          incoming.write(line.data)
          continue
        }
        try {
          fileCounts[await incoming.finish(line)]++
        } catch (e) {
          fileCounts.failed++
          if (reasons.length < 10) reasons.push(`line ${n} (file): ${(e as Error).message}`)
        }
        incoming = undefined
      }
    } finally {
      incoming?.abort()
    }
    if (batch.length) write()
    const missing = [...artifactPaths].filter((path) => !blobs.exists(path))
    // The import itself is on the record, whatever it brought (audit rows from the file are marked as imported).
    stores.audit.append("import", `file:${file}`, cliActor(), { mode, records, tables: Object.fromEntries([...counts].map(([t, c]) => [t, c])) })
    // Events come in with their own ids, below what search has indexed: index them anew from the first one.
    if (firstEvent !== Number.MAX_SAFE_INTEGER) stores.search.reindexAfter(firstEvent - 1)
    // A replaced envelope must not linger in the WAL (secure_delete already zeroes it in the main file).
    if (sealedTouched) stores.maintenance.checkpoint()

    const failed = [...counts.values()].reduce((n, c) => n + c.failed, 0) + fileCounts.failed
    if (values.json) {
      const tables = Object.fromEntries(counts)
      printJson({
        file,
        records,
        exported_at: header.exported_at,
        schema: header.schema,
        mode,
        tables,
        files: fileCounts,
        missing_files: missing,
        failures: reasons,
      })
      return failed ? 1 : 0
    }
    out(`imported ${file} (${records} record(s), exported ${new Date(header.exported_at).toISOString()}, schema ${header.schema})`)
    for (const [table, c] of counts) {
      const parts = (["inserted", "unchanged", "replaced", "skipped", "failed"] as const).filter((k) => c[k]).map((k) => `${c[k]} ${k}`)
      if (c.unreadable) parts.push(`${c.unreadable} sealed with a master key this install does not have (left out)`)
      out(`  ${table.padEnd(22)} ${parts.join(", ")}`)
    }
    const fileParts = (["written", "unchanged", "skipped", "failed"] as const).filter((k) => fileCounts[k]).map((k) => `${fileCounts[k]} ${k}`)
    if (fileParts.length) out(`  ${"artifact files".padEnd(22)} ${fileParts.join(", ")}`)
    for (const r of reasons) out(`  failed: ${r}`)
    for (const path of missing) out(`  missing: ${path} (its artifact row is here, its file is not: the export did not carry it)`)
    return failed ? 1 : 0
  } finally {
    db.close()
  }
}
