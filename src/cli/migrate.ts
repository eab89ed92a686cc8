import type { Database } from "bun:sqlite"
import { migrations } from "../../migrations"
import * as Config from "../config"
import { vacuumInto } from "../db/backup"
import { plan, rollback, type Plan } from "../db/migrate"
import { openExisting } from "../db/open"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import * as Keys from "../db/keys"
import * as Tokens from "../db/tokens"
import { needsKey, unlock } from "../secrets/unlock"
import { HOME_OPTION, JSON_OPTION, jsonOnlyFor, noExtra, out, err, parse, printJson, unknownSubcommand } from "./args"
import { explainOpenError, legacyFilesFound, migrate, openHome } from "./home"

export const help = `Usage: hive migrate [--dry-run] [--home DIR] [--legacy-ccr-dir DIR] [--legacy-state-dir DIR] [--legacy-config-dir DIR]
       hive migrate status [--home DIR]
       hive migrate down [N] [--home DIR]

  hive migrate            apply every pending migration, printing each with its duration.
                          A database that already holds data is first copied to
                          $HIVE_HOME/backups/hive-<timestamp>-pre-migrate.db.
  hive migrate --dry-run  print what would be applied; change nothing.
  hive migrate status     list applied and pending migrations (--json for scripts).
  hive migrate down [N]   roll back the newest N migrations (default 1), only those
                          that define a down step; a backup is taken first.

Legacy imports: numbered migrations take over the state files of older tools, each verified
entry by entry in the database before the file is deleted (a file that does not parse, or holds
values that differ from what hive already has, is kept and reported; symlinks are never followed).
  Claude-Code-Remote   DIR/data/claude-sessions.json, DIR/data/claude-tokens.json
                       --legacy-ccr-dir DIR, env HIVE_LEGACY_CCR_DIR (default ~/.claude-code-remote)
  claude-hooks state   DIR/gitlab-oauth-token.json, DIR/sessions.json
                       --legacy-state-dir DIR, env HIVE_LEGACY_STATE_DIR (default ~/.local/state/claude-hooks)
  claude-hooks config  DIR/tokens/<agent>, DIR/penpot-token
                       --legacy-config-dir DIR, env HIVE_LEGACY_CONFIG_DIR (default ~/.config/claude-hooks)
  Electron hive        $HIVE_HOME/preferences.json, $HIVE_HOME/paired-devices.json

Options:
  --dry-run     show the plan (and every legacy file found) only
  --json        status: as JSON, { database, schema_version, known, newer_than_binary, migrations: [...] }
  --home DIR    data home (default ~/.hive, env HIVE_HOME)
  -h, --help    show this help

Exit codes: 0 done, 1 a migration failed (earlier ones stay applied), 2 usage error.`

const when = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z")

function describe(p: Plan) {
  const lines: string[] = []
  const applied = new Map(p.applied.map((r) => [r.version, r]))
  for (const m of migrations) {
    const row = applied.get(m.version)
    const flags = [
      p.modified.some((x) => x.version === m.version) ? "source changed since it was applied" : "",
      p.unfinished.some((x) => x.version === m.version) ? "after-commit work unfinished; `hive migrate` finishes it" : "",
    ].filter(Boolean)
    const state = row ? `applied ${when(row.applied_at)} (${row.duration_ms} ms)` : "pending"
    lines.push(`  ${m.id.padEnd(28)} ${state}${flags.length ? `  [${flags.join("; ")}]` : ""}`)
  }
  for (const row of p.applied.filter((r) => !migrations.some((m) => m.version === r.version)))
    lines.push(`  ${`${String(row.version).padStart(3, "0")}_${row.name}`.padEnd(28)} applied, unknown to this hive`)
  return lines
}

/** `hive migrate status --json`: every migration this hive knows or the database recorded, and its state. */
function statusReport(database: string, p: Plan) {
  const applied = new Map(p.applied.map((r) => [r.version, r]))
  const known = migrations.map((m) => {
    const row = applied.get(m.version)
    return {
      id: m.id,
      version: m.version,
      state: row ? ("applied" as const) : ("pending" as const),
      applied_at: row?.applied_at ?? null,
      duration_ms: row?.duration_ms ?? null,
      source_changed: p.modified.some((x) => x.version === m.version),
      unfinished: p.unfinished.some((x) => x.version === m.version),
    }
  })
  const unknown = p.applied
    .filter((r) => !migrations.some((m) => m.version === r.version))
    .map((r) => ({
      id: `${String(r.version).padStart(3, "0")}_${r.name}`,
      version: r.version,
      state: "unknown" as const,
      applied_at: r.applied_at,
      duration_ms: r.duration_ms,
      source_changed: false,
      unfinished: false,
    }))
  return {
    database,
    schema_version: p.databaseVersion,
    known: migrations.length,
    newer_than_binary: p.newerThanBinary,
    migrations: [...known, ...unknown],
  }
}

function warnModified(p: Plan) {
  for (const m of p.modified)
    err(`warning: migration ${m.id} changed since it was applied (checksum ${m.recorded.slice(0, 12)} -> ${m.current.slice(0, 12)}); it is not re-run`)
}

/** A bar on stderr while a long import runs, only on a terminal (never in logs or pipes). */
function progressBar(label: string, done: number, total: number) {
  if (!process.stderr.isTTY) return
  const width = 30
  const filled = Math.round((done / Math.max(total, 1)) * width)
  process.stderr.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${done >= total ? "\n" : ""}`)
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive migrate", argv, {
    ...HOME_OPTION,
    "dry-run": { type: "boolean" },
    "legacy-ccr-dir": { type: "string" },
    "legacy-state-dir": { type: "string" },
    "legacy-config-dir": { type: "string" },
    ...JSON_OPTION,
  })
  if (values.help) return (out(help), 0)
  const sub = positionals[0]
  jsonOnlyFor(`hive migrate${sub ? ` ${sub}` : ""}`, values.json, sub === "status", "hive migrate status")
  const config = Config.load({
    home: values.home,
    legacyCcrDir: values["legacy-ccr-dir"],
    legacyStateDir: values["legacy-state-dir"],
    legacyConfigDir: values["legacy-config-dir"],
  })

  if (sub === "status" || values["dry-run"]) {
    noExtra("hive migrate", positionals, sub === "status" ? 1 : 0)
    let db: Database | undefined
    let p: Plan
    try {
      db = openExisting(config.dbPath)
      p = plan(db, migrations)
    } catch (e) {
      db?.close()
      throw explainOpenError(config, e)
    }
    try {
      if (sub === "status" && values.json) printJson(statusReport(config.dbPath, p))
      else if (sub === "status") {
        out(`database ${config.dbPath}: schema version ${p.databaseVersion}; this hive knows ${migrations.length}`)
        for (const line of describe(p)) out(line)
      } else {
        // Imports already applied run again when their files are back (or were pointed at with --legacy-*).
        const again = migrations.filter(
          (m) => p.applied.some((r) => r.version === m.version) && !p.unfinished.includes(m) && legacyFilesFound(m, config).length,
        )
        const work = [...p.unfinished.map((m) => `finish ${m.id}`), ...again.map((m) => `import again ${m.id}`), ...p.pending.map((m) => `apply ${m.id}`)]
        if (work.length === 0) out(`nothing to do: ${config.dbPath} is at schema version ${p.databaseVersion}`)
        else {
          out(`dry run: would ${p.applied.length ? `back up ${config.dbPath} into ${config.backupsDir}, then ` : ""}run:`)
          for (const w of work) out(`  ${w}`)
          const files = [...p.unfinished, ...again, ...p.pending].flatMap((m) => m.describe?.({ legacy: config.legacy }) ?? [])
          const found = files.filter((f) => f.state !== "not found")
          out(found.length ? "legacy files found:" : "no legacy files found")
          for (const f of found) out(`  ${f.path} (${f.what}): ${f.state}`)
        }
      }
      if (p.newerThanBinary) err(`warning: the database (schema ${p.databaseVersion}) is newer than this hive; upgrade hive`)
      warnModified(p)
      return 0
    } finally {
      db?.close()
    }
  }

  if (sub === "down") {
    noExtra("hive migrate down", positionals, 2)
    const raw = positionals[1] ?? "1"
    if (!/^[1-9]\d*$/.test(raw)) throw new UsageError(`hive migrate down: N must be a positive whole number, got "${raw}"`)
    const db = openHome(config)
    try {
      const ids = rollback(db, migrations, Number(raw), {
        backup: () => out(`backed up the database to ${vacuumInto(db, config.backupsDir, "pre-rollback")}`),
      })
      for (const id of ids) out(`rolled back ${id}`)
      return 0
    } finally {
      db.close()
    }
  }

  if (sub !== undefined) throw unknownSubcommand("hive migrate", sub, ["status", "down"])
  const db = openHome(config)
  try {
    warnModified(plan(db, migrations))
    const applied = await migrate(db, config, {
      reimport: true,
      logger: createLogger(config.logLevel),
      onProgress: progressBar,
      onBackup: (path) => out(`backed up the database to ${path}`),
      onApplied: (r) => {
        out(`${r.resumed ? "ran again" : "applied"} ${r.id} (${r.durationMs} ms)`)
        for (const line of r.lines) out(`  ${line}`)
      },
    })
    // With encrypted values or signed tokens present, a missing or wrong master key is an error now,
    // not at the first request of the next `hive serve`.
    const stores = { keys: Keys.create(db), tokens: Tokens.create(db) }
    if (needsKey(stores)) unlock(config, stores)
    const p = plan(db, migrations)
    out(applied.length ? `done: schema version ${p.databaseVersion}` : `already up to date: schema version ${p.databaseVersion}`)
    return 0
  } finally {
    db.close()
  }
}
