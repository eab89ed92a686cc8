import { applyEdits, type FormattingOptions, modify, type ParseError, parse, printParseErrorCode } from "jsonc-parser"
import { HOOK_TIMEOUT_S } from "./permission"

/** The hook events hive records, and the matcher each needs (tool events match every tool). */
export const HOOK_EVENTS: Record<string, string | undefined> = {
  SessionStart: undefined,
  UserPromptSubmit: undefined,
  PreToolUse: "*",
  PostToolUse: "*",
  // Held open while the prompt is an approval on the phone: only as an http hook (needs a running server).
  PermissionRequest: "*",
  Notification: undefined,
  Stop: undefined,
  SubagentStop: undefined,
  SessionEnd: undefined,
}

type Hook = { type?: unknown; command?: unknown; url?: unknown; [k: string]: unknown }
type Entry = { matcher?: unknown; hooks?: Hook[]; [k: string]: unknown }

/** A settings file hive will not touch, and why. */
export class SettingsError extends Error {}

/** The path of hive's http hook route (src/routes/hooks.ts). */
export const HTTP_HOOK_PATH = "/api/hooks/claude/http"
/** The variable Claude Code reads the hooks' bearer token from (HIVE_TOKEN, as `hive hook` does). */
export const TOKEN_VAR = "HIVE_TOKEN"

/** Whether a hook is one of hive's: a command running `hive hook` (by any path), or an http hook to hive's route. */
export const isHiveHook = (h: Hook) =>
  (h.type === "command" && typeof h.command === "string" && /(^|[/\s"'])hive["']?\s+hook\s*$/.test(h.command.trim())) ||
  (h.type === "http" && typeof h.url === "string" && h.url.endsWith(HTTP_HOOK_PATH))

/**
 * How hive's hooks run: SessionStart always as `command` (only a process on the machine can learn Claude Code's
 * pid and terminal); the others as http hooks to `url` when given (no process per hook), else as `command`.
 */
export type HookPlan = { command: string; url?: string }

/** hive's hook for one event, or none: a permission prompt can only be held by the server (an http hook). */
function hookFor(event: string, plan: HookPlan): Hook | undefined {
  if (event === "PermissionRequest" && !plan.url) return undefined
  if (event === "SessionStart" || !plan.url) return { type: "command", command: plan.command }
  return {
    type: "http",
    url: `${plan.url.replace(/\/$/, "")}${HTTP_HOOK_PATH}`,
    headers: { Authorization: `Bearer $${TOKEN_VAR}` },
    allowedEnvVars: [TOKEN_VAR],
    // Claude Code shows its own prompt meanwhile; hive answers (or withdraws) well before this.
    timeout: event === "PermissionRequest" ? HOOK_TIMEOUT_S : 5,
  }
}

function read(text: string): Record<string, unknown> {
  if (text.trim() === "") return {}
  const errors: ParseError[] = []
  const value = parse(text, errors, { allowTrailingComma: true })
  if (errors.length) {
    const e = errors[0]!
    const line = text.slice(0, e.offset).split("\n").length
    throw new SettingsError(`it is not valid JSON: ${printParseErrorCode(e.error)} at line ${line}`)
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new SettingsError("its top level is not a JSON object")
  const hooks = (value as { hooks?: unknown }).hooks
  if (hooks !== undefined && (typeof hooks !== "object" || hooks === null || Array.isArray(hooks))) throw new SettingsError('its "hooks" is not an object')
  for (const [event, list] of Object.entries((hooks ?? {}) as Record<string, unknown>))
    if (!Array.isArray(list)) throw new SettingsError(`its "hooks.${event}" is not a list`)
  return value as Record<string, unknown>
}

/** The entries of one event without hive's hooks (an entry left with no hook goes too). */
function withoutHive(entries: Entry[]): Entry[] {
  return entries.flatMap((entry) => {
    if (!Array.isArray(entry?.hooks)) return [entry]
    const hooks = entry.hooks.filter((h) => !isHiveHook(h))
    if (hooks.length === entry.hooks.length) return [entry]
    return hooks.length ? [{ ...entry, hooks }] : []
  })
}

export type Change = { event: string; action: "added" | "replaced" | "removed" }

/**
 * `text` (a Claude Code settings.json) with hive's hooks added for every event it records, or, with `plan`
 * null, with them removed. Every other hook and setting stays, and so does
 * the file's own formatting: only the changed event lists are rewritten.
 */
export function withHiveHooks(text: string, plan: HookPlan | null): { text: string; changes: Change[] } {
  const settings = read(text)
  const hooks = (settings.hooks ?? {}) as Record<string, Entry[]>
  const format: FormattingOptions = { insertSpaces: true, tabSize: 2, eol: "\n" }
  let out = text.trim() === "" ? "{}\n" : text
  const changes: Change[] = []
  const events = plan === null ? Object.keys(hooks) : Object.keys(HOOK_EVENTS)
  for (const event of events) {
    const before = hooks[event] ?? []
    const others = withoutHive(before)
    const had = others.length !== before.length || JSON.stringify(others) !== JSON.stringify(before)
    let next: Entry[] = others
    const hook = plan === null ? undefined : hookFor(event, plan)
    if (hook) {
      const matcher = HOOK_EVENTS[event]
      next = [...others, { ...(matcher ? { matcher } : {}), hooks: [hook] }]
      if (had && JSON.stringify(next) === JSON.stringify(before)) continue
    } else if (!had) continue
    const value = next.length ? next : undefined
    out = applyEdits(out, modify(out, ["hooks", event], value, { formattingOptions: format }))
    changes.push({ event, action: !hook ? "removed" : had ? "replaced" : "added" })
  }
  if (plan === null && changes.length && Object.keys(read(out).hooks ?? {}).length === 0)
    out = applyEdits(out, modify(out, ["hooks"], undefined, { formattingOptions: format }))
  return { text: out.endsWith("\n") ? out : `${out}\n`, changes }
}
