import { existsSync, statfsSync, statSync } from "node:fs"
import { migrations } from "../../migrations"
import * as Config from "../config"
import { createBlobs, ORPHAN_GRACE_MS } from "../artifacts/blobs"
import { listBackups } from "../db/backup"
import { plan } from "../db/migrate"
import * as Schema from "../db/schema"
import { createStores } from "../db/stores"
import { processAlive } from "../process"
import { describeTunnel } from "../tunnel/settings"
import { HiveError } from "../errors"
import { createKeys } from "../secrets/keys"
import { KeyError, loadKeyring } from "../secrets/keyring"
import { createVault } from "../secrets/vault"
import { HOME_OPTION, JSON_OPTION, noExtra, out, parse, printJson } from "./args"
import { openHome } from "./home"
import { runningServer } from "./server-lock"
import { parseSchedule } from "../jobs/scheduler"

export const help = `Usage: hive doctor [--json] [--home DIR]

Checks the data home and prints each finding with a fix; exits 1 if any check fails.
  database    PRAGMA integrity_check and foreign_key_check
  schema      every table, index, trigger and view is what this hive's migrations build; applied
              migrations against this hive's (pending ones, a newer database)
  key         the master key is present, holds every key id the database needs, and decrypts a value
  ids         no id sequence is near its end (an imported id there stops every insert)
  artifacts   every file an artifact refers to exists; no file is left that none refers to
  home        the data home is private (0700; hive serve makes it so)
  wal         the size of the write-ahead log
  tunnel      when one is wanted or running: whether it is up (see \`hive tunnel status\`)
  disk        free space where the data home is
  jobs        every HIVE_SCHEDULE_* is a schedule, and names a job (hive serve refuses a bad one)
  backups     how recent the newest backup is
Changes nothing.

Options:
  --json       the findings as JSON: { findings: [{ level, check, what, fix }], problems }
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

type Finding = { level: "ok" | "warn" | "fail"; check: string; what: string; fix?: string }

const MiB = 1 << 20
const WAL_WARN_BYTES = 256 * MiB
const DISK_WARN_BYTES = 512 * MiB
const BACKUP_WARN_MS = 2 * 86_400_000

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive doctor", argv, { ...HOME_OPTION, ...JSON_OPTION })
  if (values.help) return (out(help), 0)
  noExtra("hive doctor", positionals)
  const config = Config.load({ home: values.home })
  const findings = diagnose(config)
  const failed = findings.filter((f) => f.level === "fail").length
  if (values.json) return (printJson({ findings: findings.map((f) => ({ ...f, fix: f.fix ?? null })), problems: failed }), failed ? 1 : 0)
  for (const f of findings) {
    out(`${f.level === "ok" ? "ok  " : f.level === "warn" ? "WARN" : "FAIL"}  ${f.check.padEnd(9)} ${f.what}`)
    if (f.fix && f.level !== "ok") out(`      ${"".padEnd(9)} fix: ${f.fix}`)
  }
  out(failed ? `\n${failed} problem(s) found` : "\nno problems found")
  return failed ? 1 : 0
}

export function diagnose(config: Config.Config, now = Date.now(), env: Record<string, string | undefined> = process.env): Finding[] {
  const findings: Finding[] = []
  const add = (level: Finding["level"], check: string, what: string, fix?: string) => findings.push({ level, check, what, fix })
  const newest = listBackups(config.backupsDir)[0]
  const restoreFix = newest ? `stop hive, then \`hive restore ${newest.path}\`` : "stop hive and restore a copy of hive.db you trust with `hive restore FILE`"

  if (!existsSync(config.dbPath)) {
    add("fail", "database", `${config.dbPath} does not exist`, "run `hive migrate` (or `hive serve`) to create it")
    return findings
  }
  const mode = statSync(config.home).mode & 0o777
  if (mode === 0o700) add("ok", "home", `${config.home} is private (0700)`)
  else
    add(
      "warn",
      "home",
      `${config.home} is mode 0${mode.toString(8)}: other users may read what it holds`,
      "start `hive serve` (or any command that writes) once: it makes the home 0700 and its files 0600",
    )
  let db: ReturnType<typeof openHome>
  try {
    db = openHome(config, { tighten: false })
  } catch (err) {
    add("fail", "database", (err as Error).message, restoreFix)
    return findings
  }
  try {
    const stores = createStores(db)
    let integrity: string[]
    try {
      integrity = stores.maintenance.check("full")
    } catch (err) {
      integrity = [(err as Error).message]
    }
    if (integrity.join() === "ok") add("ok", "database", "integrity_check: ok")
    else add("fail", "database", `integrity_check: ${integrity.slice(0, 5).join("; ")}`, restoreFix)
    if (integrity.join() !== "ok") return findings // the checks below would only trip over the same damage
    const orphans = stores.maintenance.foreignKeyProblems()
    if (orphans.length === 0) add("ok", "database", "foreign_key_check: ok")
    else
      add(
        "fail",
        "database",
        `foreign_key_check: ${orphans.length} row(s) point at missing parents (first: ${orphans[0]!.table} row ${orphans[0]!.rowid} -> ${orphans[0]!.parent})`,
        restoreFix,
      )

    checkSequences(stores, add)
    const drift = Schema.untrusted(db, migrations)
    if (drift.length) add("fail", "schema", `differs from what this hive's migrations build: ${Schema.summarize(drift)}`, restoreFix)
    else add("ok", "schema", "every table, index, trigger and view is this hive's own")
    const p = plan(db, migrations)
    if (p.newerThanBinary) add("fail", "schema", `version ${p.databaseVersion} is newer than this hive (${migrations.length})`, "upgrade hive")
    else if (p.pending.length || p.unfinished.length)
      add("warn", "schema", `version ${p.databaseVersion}; ${p.pending.length} migration(s) pending, ${p.unfinished.length} unfinished`, "run `hive migrate`")
    else add("ok", "schema", `version ${p.databaseVersion}, up to date`)
    if (p.modified.length)
      add(
        "warn",
        "schema",
        `${p.modified.length} applied migration(s) changed since they ran: ${p.modified.map((m) => m.id).join(", ")}`,
        "reinstall the hive that applied them",
      )

    checkKey(config, stores, db, add)
    checkArtifacts(config, stores, now, add)

    const wal = existsSync(`${config.dbPath}-wal`) ? statSync(`${config.dbPath}-wal`).size : 0
    if (wal > WAL_WARN_BYTES)
      add("warn", "wal", `the write-ahead log is ${(wal / MiB).toFixed(0)} MiB`, "run `hive jobs run vacuum` (a long-lived reader may be holding it open)")
    else add("ok", "wal", `${(wal / MiB).toFixed(1)} MiB`)
    checkTunnel(stores, add)
  } finally {
    db.close()
  }

  const fs = statfsSync(config.home)
  const free = fs.bavail * fs.bsize
  if (free < DISK_WARN_BYTES)
    add("fail", "disk", `only ${(free / MiB).toFixed(0)} MiB free for ${config.home}`, "free space: writes fail with 507 when the disk is full")
  else add("ok", "disk", `${(free / MiB / 1024).toFixed(1)} GiB free`)
  checkSchedules(config, env, add)

  if (!newest)
    add(
      "warn",
      "backups",
      `none in ${config.backupsDir}`,
      runningServer(config.home) ? "one is made daily; or run `hive backup` now" : "run `hive backup` (hive serve makes one daily)",
    )
  else if (now - newest.created_at > BACKUP_WARN_MS)
    add(
      "warn",
      "backups",
      `the newest is from ${new Date(newest.created_at).toISOString()}`,
      "run `hive backup`; check `hive jobs list` for a failing backup job",
    )
  else add("ok", "backups", `newest ${newest.path}`)
  return findings
}

/** A bad schedule stops hive serve at start; a misspelt variable is silently ignored. Both are said here first. */
function checkSchedules(config: Config.Config, env: Record<string, string | undefined>, add: Add) {
  let bad = 0
  for (const [job, text] of Object.entries(config.jobs.schedules)) {
    try {
      parseSchedule(job, text, Config.parseDuration)
    } catch (err) {
      bad++
      add("fail", "jobs", (err as Error).message, `fix or unset ${Config.scheduleEnvName(job)}`)
    }
  }
  const known = Object.keys(config.jobs.schedules).map(Config.scheduleEnvName)
  for (const name of Object.keys(env))
    if (name.startsWith("HIVE_SCHEDULE_") && !known.includes(name))
      add("warn", "jobs", `${name} names no job, so it changes nothing`, `use one of ${known.join(", ")}`)
  if (bad === 0) add("ok", "jobs", "every schedule is an interval or a cron expression")
}

function checkArtifacts(config: Config.Config, stores: ReturnType<typeof createStores>, now: number, add: Add) {
  const blobs = createBlobs(config.home)
  const referenced = stores.artifacts.paths()
  const missing = [...referenced].filter((p) => !blobs.exists(p))
  const files = blobs.files()
  const orphans = files.filter((f) => !referenced.has(f.path) && now - f.modified_at >= ORPHAN_GRACE_MS)
  if (missing.length)
    add(
      "fail",
      "artifacts",
      `${missing.length} file(s) that artifacts refer to are missing (first: ${missing[0]})`,
      "restore them from a copy of the data home, or delete those artifacts (DELETE /api/artifacts/:id)",
    )
  if (orphans.length)
    add(
      "warn",
      "artifacts",
      `${orphans.length} file(s) no artifact refers to, ${orphans.reduce((n, f) => n + f.bytes, 0)} bytes (first: ${orphans[0]!.path})`,
      "run `hive jobs run prune-artifacts`",
    )
  if (!missing.length && !orphans.length) add("ok", "artifacts", `${referenced.size} file(s), all present and referenced`)
}

/** Ids past this leave too few for hive's writers (JavaScript counts exactly to 2^53): one row put there stops every insert. */
const SEQUENCE_FAIL_AT = Number.MAX_SAFE_INTEGER - 2 ** 32

function checkSequences(stores: ReturnType<typeof createStores>, add: Add) {
  const full = stores.maintenance.sequences().filter((s) => s.seq > SEQUENCE_FAIL_AT)
  for (const s of full)
    add(
      "fail",
      "ids",
      `the id sequence of ${s.name} is at ${BigInt(s.seq)}, near its end: new ${s.name} rows cannot be stored`,
      `stop hive, delete the ${s.name} rows with id > ${SEQUENCE_FAIL_AT} (sqlite3), then UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM ${s.name}) WHERE name = '${s.name}'`,
    )
  if (full.length === 0) add("ok", "ids", "every id sequence has room")
}

type Add = (level: Finding["level"], check: string, what: string, fix?: string) => void

/** Only when a tunnel is wanted (the preference) or a server runs one: otherwise there is nothing to say. */
function checkTunnel(stores: ReturnType<typeof createStores>, add: Add) {
  const view = describeTunnel(stores.tunnel.get(), processAlive)
  const wanted = stores.preferences.value("tunnel.enabled") === true
  if (view.status === "up") add("ok", "tunnel", `up at ${view.public_url} (${view.reconnects} reconnect(s))`)
  else if (view.status === "connecting") add("warn", "tunnel", "connecting", "wait a few seconds, then `hive tunnel status`")
  else if (view.updated_at !== null || wanted)
    add("warn", "tunnel", `down: ${view.reason}`, "check that the tunnel server (HIVE_TUNNEL_SERVER) is reachable; `hive tunnel status` follows it")
}

function checkKey(config: Config.Config, stores: ReturnType<typeof createStores>, db: Parameters<typeof createVault>[0], add: Add) {
  const refs = stores.keys.references()
  if (refs.size === 0 && !stores.tokens.anyIssued()) return add("ok", "key", "nothing in the database depends on the master key yet")
  let ring: ReturnType<typeof loadKeyring>
  try {
    ring = loadKeyring(config.masterKey, { mayCreate: false, whyNeeded: "this database holds values encrypted or tokens signed with one" })
  } catch (err) {
    if (!(err instanceof KeyError)) throw err
    return add("fail", "key", err.message, "restore the key file (or HIVE_MASTER_KEY) that was in use")
  }
  const missing = [...refs.keys()].filter((id) => !ring.byId(id))
  if (missing.length)
    return add(
      "fail",
      "key",
      `the key from ${ring.source} lacks key id(s) ${missing
        .map(
          (id) =>
            `${id} (${Object.entries(refs.get(id)!)
              .map(([w, n]) => `${n} ${w}`)
              .join(", ")})`,
        )
        .join("; ")} that the database needs`,
      "restore the key file that was in use; if only a few rows name that id (damaged or copied in), delete them (`hive secrets rm NAME`, `hive oauth rm FORGE`)",
    )
  try {
    const vault = createVault(db, stores, createKeys(ring, config.masterKey))
    const checked = vault.verifyOne()
    add("ok", "key", checked ? `${ring.source} decrypts secret ${checked}` : `${ring.source} holds every key id the database needs`)
  } catch (err) {
    if (!(err instanceof HiveError)) throw err
    add("fail", "key", err.message, "the stored value was altered: restore a backup, or set the secret again with `hive secrets set`")
  }
}
