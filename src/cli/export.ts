import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs"
import { join, resolve } from "node:path"
import * as Config from "../config"
import { schemaVersion } from "../db/migrate"
import * as Portable from "../db/portable"
import { FatalError, UsageError } from "../errors"
import { createLogger } from "../log"
import { HOME_OPTION, JSON_OPTION, err, noExtra, out, parse, printJson } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive export [--project ID | --session ID] [--secrets encrypted|omit] [--artifacts include|omit]
                   [--out FILE [--json]] [--home DIR]

Writes hive's data as JSON lines (a header, one line per record, each artifact's file, an end line that
counts them) to stdout, or to FILE (written to a temp file and renamed, mode 0600). Read it back with
\`hive import\`.

  (no scope)      everything: projects, sessions, worktrees, artifacts (rows and files), preferences,
                  agents, messages, approvals, questions, commands, events, turn stats, the SDK session map,
                  the audit log, secrets
  --project ID    one project: the project, its sessions, worktrees and artifacts, and their sessions' events
  --session ID    one session: the session, its project row, its artifacts and its events

Options:
  --secrets MODE    encrypted (default): secrets and OAuth tokens travel as their sealed envelopes, which
                    only an install with the same master key can open; omit: left out
  --artifacts MODE  include (default): artifact rows and their files; omit: neither. A file missing from disk
                    is reported (its row still travels)
  --out FILE        write here instead of stdout
  --json            print the report as JSON on stdout, { file, records, tables: { TABLE: count }, files,
                    missing_files } (with --out)
  --home DIR      data home (default ~/.hive, env HIVE_HOME)
  -h, --help      show this help

API tokens, paired devices, reply tokens and job history belong to this install and are never exported.`

/** Buffered synchronous writes to a file descriptor, retrying when a non-blocking pipe is full. */
function writer(fd: number) {
  let buffer: string[] = []
  let size = 0
  const flush = () => {
    const bytes = Buffer.from(buffer.join(""))
    buffer = []
    size = 0
    for (let at = 0; at < bytes.length; ) {
      try {
        at += writeSync(fd, bytes, at)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === "EPIPE") throw new FatalError("the output was closed before the export finished (e.g. piped into head)")
        if (code !== "EAGAIN") throw e
        Bun.sleepSync(1)
      }
    }
  }
  return {
    line(text: string) {
      buffer.push(text, "\n")
      size += text.length + 1
      if (size > 1 << 16) flush()
    },
    flush,
  }
}

/** Each artifact file after the records, a part per line, then its size and sha256; a file not on disk is reported. */
function writeFiles(home: string, paths: Set<string>, w: ReturnType<typeof writer>): { files: number; missing: string[] } {
  const missing: string[] = []
  let files = 0
  const buf = new Uint8Array(Portable.FILE_PART_BYTES)
  for (const path of paths) {
    let fd: number
    try {
      fd = openSync(join(home, path), "r")
    } catch {
      missing.push(path)
      continue
    }
    try {
      const hasher = new Bun.CryptoHasher("sha256")
      let bytes = 0
      for (;;) {
        const n = readSync(fd, buf, 0, buf.byteLength, bytes)
        if (n === 0) break
        const part = buf.subarray(0, n)
        hasher.update(part)
        w.line(Portable.encodeFilePart(path, part))
        bytes += n
      }
      w.line(Portable.encodeFileEnd(path, bytes, hasher.digest("hex")))
      files++
    } finally {
      closeSync(fd)
    }
  }
  return { files, missing }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive export", argv, {
    ...HOME_OPTION,
    project: { type: "string" },
    session: { type: "string" },
    secrets: { type: "string" },
    artifacts: { type: "string" },
    out: { type: "string" },
    ...JSON_OPTION,
  })
  if (values.help) return (out(help), 0)
  noExtra("hive export", positionals)
  if (values.json && values.out === undefined) throw new UsageError("hive export: --json prints the report, so the export needs --out FILE")
  if (values.project !== undefined && values.session !== undefined) throw new UsageError("hive export: give --project or --session, not both")
  const secrets = values.secrets ?? "encrypted"
  if (secrets !== "encrypted" && secrets !== "omit") throw new UsageError(`hive export: --secrets must be encrypted or omit, got "${secrets}"`)
  const artifacts = values.artifacts ?? "include"
  if (artifacts !== "include" && artifacts !== "omit") throw new UsageError(`hive export: --artifacts must be include or omit, got "${artifacts}"`)
  const scope: Portable.Scope =
    values.project !== undefined
      ? { kind: "project", id: values.project }
      : values.session !== undefined
        ? { kind: "session", id: values.session }
        : { kind: "all" }
  const config = Config.load({ home: values.home })
  const { db } = await prepare(config, createLogger(config.logLevel))
  const target = values.out === undefined ? undefined : resolve(values.out)
  const partial = target && `${target}.partial`
  try {
    if (!Portable.scopeExists(db, scope)) throw new FatalError(`${scope.kind} ${(scope as { id: string }).id} not found`)
    const fd = partial ? openSync(partial, "w", 0o600) : 1
    const w = writer(fd)
    let records = 0
    try {
      // One read transaction: the dump is one consistent snapshot even while a server writes.
      db.run("BEGIN")
      const header: Portable.Header = {
        hive_export: Portable.FORMAT,
        schema: schemaVersion(db),
        exported_at: Date.now(),
        scope,
        secrets: secrets === "encrypted" ? "encrypted" : "omitted",
      }
      w.line(JSON.stringify(header))
      const counts = new Map<string, number>()
      const paths = new Set<string>()
      for (const { table, row } of Portable.rows(db, scope, { sealed: secrets === "encrypted", artifacts: artifacts === "include" })) {
        w.line(Portable.encodeRecord(table, row))
        counts.set(table, (counts.get(table) ?? 0) + 1)
        if (table === "artifacts" && typeof row.path === "string") paths.add(row.path)
        records++
      }
      const { files, missing } = writeFiles(config.home, paths, w)
      w.line(JSON.stringify({ end: true, records, files } satisfies Portable.End))
      w.flush()
      db.run("COMMIT")
      if (values.json) printJson({ file: target, records, tables: Object.fromEntries(counts), files, missing_files: missing })
      else {
        err(
          `exported ${records} record(s)${counts.size ? `: ${[...counts].map(([t, n]) => `${n} ${t}`).join(", ")}` : ""}${files ? `, and ${files} artifact file(s)` : ""}${target ? ` to ${target}` : ""}`,
        )
        for (const path of missing) err(`missing: ${path} (its row is exported; the file is not on disk, see \`hive doctor\`)`)
      }
    } finally {
      if (db.inTransaction) db.run("ROLLBACK")
      if (partial) closeSync(fd)
    }
    if (partial) renameSync(partial, target!)
    return 0
  } finally {
    if (partial) rmSync(partial, { force: true })
    db.close()
  }
}
