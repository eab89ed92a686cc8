import { describe, expect, test } from "bun:test"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { HOOK_EVENTS } from "../../src/hooks/settings"
import { HOOK_TIMEOUT_S } from "../../src/hooks/permission"
import { cliEnv, hive, tempDir } from "../helpers"

const USERS_OWN = `{
  // the user's own settings, with a comment
  "model": "opus",
  "hooks": {
    "PreToolUse": [
      { "matcher": "Bash", "hooks": [{ "type": "command", "command": "~/bin/audit-bash" }] }
    ],
    "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }, { "type": "command", "command": "/opt/old/hive hook" }] }]
  }
}
`

function setup(text?: string) {
  const env = { ...cliEnv(), CLAUDE_CONFIG_DIR: tempDir("hive-claude-config-") }
  const file = join(env.CLAUDE_CONFIG_DIR, "settings.json")
  if (text !== undefined) writeFileSync(file, text, { mode: 0o640 })
  const settings = () => JSON.parse(readFileSync(file, "utf8").replace(/^\s*\/\/.*$/gm, ""))
  return { env, file, settings }
}

describe("hive hook install and uninstall", () => {
  test("install adds hive's hooks beside the user's own, keeps their settings and comments, and a backup", async () => {
    const { env, file, settings } = setup(USERS_OWN)
    const r = await hive(["hook", "install", "--command", "/usr/local/bin/hive hook", "--url", "http://127.0.0.1:7420"], { ...env, HIVE_TOKEN: "" })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("set it in the environment Claude Code runs in")
    expect(r.stderr).toMatch(/kept a copy of the old file: .*settings\.json\.hive-backup-/)
    const text = readFileSync(file, "utf8")
    expect(text).toContain("// the user's own settings, with a comment")
    const s = settings()
    expect(s.model).toBe("opus")
    expect(Object.keys(s.hooks).sort()).toEqual(Object.keys(HOOK_EVENTS).sort())
    const http = {
      type: "http",
      url: "http://127.0.0.1:7420/api/hooks/claude/http",
      headers: { Authorization: "Bearer $HIVE_TOKEN" },
      allowedEnvVars: ["HIVE_TOKEN"],
      timeout: 5,
    }
    // SessionStart is a command (it learns Claude Code's process); the others post to the server.
    expect(s.hooks.SessionStart).toEqual([{ hooks: [{ type: "command", command: "/usr/local/bin/hive hook" }] }])
    expect(s.hooks.PreToolUse).toEqual([
      { matcher: "Bash", hooks: [{ type: "command", command: "~/bin/audit-bash" }] },
      { matcher: "*", hooks: [http] },
    ])
    // A permission prompt is held open while it is an approval: Claude Code must wait longer than for the others.
    expect(s.hooks.PermissionRequest).toEqual([{ matcher: "*", hooks: [{ ...http, timeout: HOOK_TIMEOUT_S }] }])
    // An older hive hook (a command, another path) is replaced, not doubled; the user's notify-send stays.
    expect(s.hooks.Stop).toEqual([{ hooks: [{ type: "command", command: "notify-send done" }] }, { hooks: [http] }])
    expect(statSync(file).mode & 0o777).toBe(0o640)
    const backups = readdirSync(env.CLAUDE_CONFIG_DIR).filter((f) => f.includes("hive-backup"))
    expect(backups).toHaveLength(1)
    expect(readFileSync(join(env.CLAUDE_CONFIG_DIR, backups[0]!), "utf8")).toBe(USERS_OWN)

    // Again: nothing to do, nothing written.
    const again = await hive(["hook", "install", "--command", "/usr/local/bin/hive hook", "--url", "http://127.0.0.1:7420"], env)
    expect(again.stdout).toContain("hive's hooks are already in")
    expect(readdirSync(env.CLAUDE_CONFIG_DIR).filter((f) => f.includes("hive-backup"))).toHaveLength(1)

    // Uninstall: exactly the user's own hooks are left.
    expect((await hive(["hook", "uninstall"], env)).code).toBe(0)
    const left = settings()
    expect(left.model).toBe("opus")
    expect(left.hooks).toEqual({
      PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "~/bin/audit-bash" }] }],
      Stop: [{ hooks: [{ type: "command", command: "notify-send done" }] }],
    })
  })

  test("a new settings file, a project's settings, and --dry-run", async () => {
    const { env, file } = setup()
    const dry = await hive(["hook", "install", "--dry-run", "--command-only", "--command", "hive hook"], env)
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain("would become:")
    expect(existsSync(file)).toBe(false)
    expect((await hive(["hook", "install", "--command-only", "--command", "hive hook"], env)).code).toBe(0)
    const hooks = JSON.parse(readFileSync(file, "utf8")).hooks
    // Every event but PermissionRequest: only the server can hold a prompt open.
    expect(Object.keys(hooks).sort()).toEqual(
      Object.keys(HOOK_EVENTS)
        .filter((e) => e !== "PermissionRequest")
        .sort(),
    )
    for (const list of Object.values(hooks) as { hooks: { type: string }[] }[][]) expect(list[0]!.hooks[0]!.type).toBe("command")
    expect((await hive(["hook", "install", "--command-only", "--url", "http://x"], env)).code).toBe(2)
    expect((await hive(["hook", "install", "--url", "ftp://x"], env)).code).toBe(2)
    expect((await hive(["hook", "uninstall"], env)).code).toBe(0)
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({})

    const project = tempDir("hive-project-")
    expect((await hive(["hook", "install", "--project", project, "--command", "hive hook"], env)).code).toBe(0)
    expect(JSON.parse(readFileSync(join(project, ".claude", "settings.json"), "utf8")).hooks.SessionStart).toEqual([
      { hooks: [{ type: "command", command: "hive hook" }] },
    ])
    expect((await hive(["hook", "install", "--project", join(project, "nope")], env)).code).toBe(2)
  })

  test("a file it cannot parse is refused with the reason, and left as it is", async () => {
    const refused: [string, string][] = [
      ['{ "hooks": { "Stop": [ }', "it is not valid JSON"],
      ["[1, 2]", "its top level is not a JSON object"],
      ['{ "hooks": [] }', 'its "hooks" is not an object'],
      ['{ "hooks": { "Stop": {} } }', 'its "hooks.Stop" is not a list'],
    ]
    for (const [text, reason] of refused) {
      const { env, file } = setup(text)
      mkdirSync(env.CLAUDE_CONFIG_DIR, { recursive: true })
      const r = await hive(["hook", "install"], env)
      expect(r.code, text).toBe(1)
      expect(r.stderr, text).toContain(`${file} was left as it is: ${reason}`)
      expect(readFileSync(file, "utf8")).toBe(text)
      expect(readdirSync(env.CLAUDE_CONFIG_DIR).filter((f) => f.includes("hive-backup"))).toEqual([])
    }
  })
})
