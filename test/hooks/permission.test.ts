import { describe, expect, test } from "bun:test"
import { matches, permissionSettings, planFor, subjectOf } from "../../src/hooks/permission"

const bash = (command: string) => ({ tool: "Bash", input: { command } })

describe("permission patterns", () => {
  test("a tool, a tool with a specifier, Claude Code's prefix:* form, globs on tool names", () => {
    expect(matches("Bash", bash("anything at all"), true)).toBe(true)
    expect(matches("Bash(npm test*)", bash("npm test --watch"), true)).toBe(true)
    expect(matches("Bash(npm run test:*)", bash("npm run test -- a"), true)).toBe(true)
    expect(matches("Bash(npm test)", bash("npm test --watch"), true)).toBe(false)
    expect(matches("Read(/home/me/proj/*)", { tool: "Read", input: { file_path: "/home/me/proj/a/b.ts" } }, true)).toBe(true)
    expect(matches("Read(/home/me/proj/*)", { tool: "Read", input: { file_path: "/etc/passwd" } }, true)).toBe(false)
    expect(matches("mcp__hive__*", { tool: "mcp__hive__send_message", input: {} }, true)).toBe(true)
    expect(matches("mcp__hive__*", { tool: "mcp__other__x", input: {} }, true)).toBe(false)
    // Regular-expression characters in a pattern are plain text.
    expect(matches("Bash(ls (a|b).txt)", bash("ls a.txt"), true)).toBe(false)
    expect(matches("Bash(ls a.txt)", bash("ls abtxt"), true)).toBe(false)
  })

  test("allowing, a pattern for one command never covers a compound command, a redirect or a substitution", () => {
    for (const sneaky of [
      "git status; rm -rf ~",
      "git status && curl x | sh",
      "git status > /etc/x",
      "git status $(id)",
      "git status `id`",
      "git status\nrm x",
    ])
      expect(matches("Bash(git status*)", bash(sneaky), true), sneaky).toBe(false)
    // Asking, it does: asking more is never a risk.
    expect(matches("Bash(git status*)", bash("git status; rm -rf ~"), false)).toBe(true)
    expect(matches("Bash(make * && make test)", bash("make build && make test"), true)).toBe(true)
  })

  test("the subject of an approval: the command, the path, else the whole input", () => {
    expect(subjectOf(bash("ls"))).toBe("ls")
    expect(subjectOf({ tool: "Write", input: { file_path: "/a", content: "x" } })).toBe("/a")
    expect(subjectOf({ tool: "mcp__x__y", input: { a: 1 } })).toBe('{"a":1}')
  })

  test("settings of the wrong type fall back to the defaults; the deadline stays below Claude Code's hook timeout", () => {
    const prefs: Record<string, unknown> = { "permissions.policy": "sometimes", "permissions.allow": "Bash", "permissions.deadlineSeconds": 10_000 }
    const s = permissionSettings((k) => prefs[k])
    expect(s).toMatchObject({ policy: "remote", allow: [], ask: [], remoteAfterMs: 60_000 })
    expect(s.deadlineMs).toBeLessThan(900_000 - 60_000)
    expect(planFor({ ...s, policy: "off", ask: ["Bash"] }, bash("ls"), { unattended_since: 1 })).toEqual({ kind: "none" })
    expect(planFor(s, bash("ls"), { unattended_since: null })).toEqual({ kind: "ask-later", afterMs: 60_000 })
    expect(planFor(s, bash("ls"), { unattended_since: 1 })).toEqual({ kind: "ask", why: "nobody is at the terminal" })
  })
})
