import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import * as Config from "../config"
import { FatalError, UsageError } from "../errors"
import { HOOK_EVENTS, SettingsError, TOKEN_VAR, withHiveHooks } from "../hooks/settings"
import { isCompiled } from "../process"
import { HOME_OPTION, err, noExtra, out, parse, timestamp } from "./args"

export const help = `Usage: hive hook install [--project DIR] [--url URL | --command-only] [--command CMD] [--dry-run]
       hive hook uninstall [--project DIR] [--dry-run]

  install     adds hive's hooks to Claude Code's settings: ${Object.keys(HOOK_EVENTS).join(", ")}.
              SessionStart runs \`hive hook\` (it learns Claude Code's process and terminal); the others are
              http hooks to the running server (no process per hook), sending $${TOKEN_VAR} as their bearer
              token. PermissionRequest is held open while hive asks the phone or the desk (the preferences
              permissions.policy, .allow, .ask decide when; README "Permission prompts"). Every other hook
              and setting is kept.
  uninstall   removes hive's hooks, and only those

  The file is ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json), or DIR/.claude/settings.json with
  --project. A copy of it is kept beside it first (settings.json.hive-backup-<time>). A file that is not valid
  JSON is refused, with the reason, and left as it is.

Options:
  --project DIR   a project's settings instead of your own
  --url URL       the server the http hooks post to (default: http://HIVE_HOST:HIVE_PORT, http://127.0.0.1:7420)
  --command-only  every hook runs \`hive hook\` (a process each; works with no server running); no
                  PermissionRequest hook then: only the server holds a prompt open
  --command CMD   the command a hook runs (default: this hive, by its full path, then "hook")
  --dry-run       print what would change, and the resulting file, without writing it
  -h, --help      show this help`

function serverUrl(raw: string | undefined, config: Config.Config): string {
  if (raw === undefined) return `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`
  return Config.parseServerUrl("hive hook install: --url", raw, "http://127.0.0.1:7420")
}

/** How a hook runs this hive: the binary itself when compiled, else whatever \`hive\` is on PATH. */
function defaultCommand(): string {
  const bin = isCompiled() ? process.execPath : (Bun.which("hive") ?? "hive")
  return `${/\s/.test(bin) ? JSON.stringify(bin) : bin} hook`
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive hook", argv, {
    ...HOME_OPTION,
    project: { type: "string" },
    command: { type: "string" },
    url: { type: "string" },
    "command-only": { type: "boolean" },
    "dry-run": { type: "boolean" },
  })
  if (values.help) return (out(help), 0)
  const [sub] = positionals
  noExtra(`hive hook ${sub}`, positionals, 1)
  const install = sub === "install"
  if (!install && (values.command !== undefined || values.url !== undefined || values["command-only"]))
    throw new UsageError("hive hook uninstall: --command, --url and --command-only are for install")
  if (values.url !== undefined && values["command-only"]) throw new UsageError("hive hook install: --url or --command-only, not both")
  const command = values.command?.trim() ?? defaultCommand()
  if (install && !/\shook$/.test(command)) throw new UsageError('hive hook install: --command must end with " hook" (it runs `hive hook`)')
  const config = Config.load({ home: values.home })
  const file = values.project ? join(resolve(values.project), ".claude", "settings.json") : join(config.claudeDir, "settings.json")
  if (values.project && !existsSync(resolve(values.project))) throw new UsageError(`hive hook ${sub}: --project ${values.project}: no such directory`)
  const before = existsSync(file) ? readFileSync(file, "utf8") : ""
  let result: ReturnType<typeof withHiveHooks>
  try {
    result = withHiveHooks(before, install ? { command, url: values["command-only"] ? undefined : serverUrl(values.url, config) } : null)
  } catch (e) {
    if (e instanceof SettingsError) throw new FatalError(`hive hook ${sub}: ${file} was left as it is: ${e.message}`)
    throw e
  }
  if (result.changes.length === 0) return (out(install ? `hive's hooks are already in ${file}` : `no hive hook in ${file}`), 0)
  for (const c of result.changes) out(`${c.action.padEnd(8)} ${c.event}`)
  if (values["dry-run"]) {
    out(`\n${file} would become:\n${result.text}`)
    return 0
  }
  mkdirSync(dirname(file), { recursive: true })
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600
  if (before !== "") {
    const backup = `${file}.hive-backup-${timestamp(Date.now()).replace(/[: ]/g, "-")}`
    copyFileSync(file, backup)
    err(`kept a copy of the old file: ${backup}`)
  }
  // A new file, then a rename: Claude Code never reads half a settings file.
  const temp = `${file}.hive-${process.pid}.tmp`
  writeFileSync(temp, result.text, { mode })
  chmodSync(temp, mode)
  renameSync(temp, file)
  out(`${install ? "installed hive's hooks in" : "removed hive's hooks from"} ${file}`)
  if (install && !values["command-only"] && !config.token)
    err(
      `Claude Code sends $${TOKEN_VAR} to hive with each http hook: set it in the environment Claude Code runs in, e.g. export ${TOKEN_VAR}=$(hive token create --name claude-hooks --scope hooks)`,
    )
  return 0
}
