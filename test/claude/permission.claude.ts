import { afterAll, expect, test } from "bun:test"
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { launchChromium, PHONE } from "../web/chromium"
import { hive, MAIN, tempDir, until } from "../helpers"
import { claudeHarness } from "./harness"
import { phoneClient, phoneKey } from "../phone-key"

// An interactive Claude Code in a real tmux, with the hooks `hive hook install` writes: its permission
// prompts become approvals answered from the phone page (headless Chromium) and the phone API, a deadline
// leaves the prompt to Claude Code, and a reply typed through hive starts the next turn.
const { env, work, server, claudeEnv, interactive } = await claudeHarness()
const bin = tempDir("hive-bin-")
writeFileSync(join(bin, "hive"), `#!/bin/sh\nexec bun ${MAIN} "$@"\n`)
chmodSync(join(bin, "hive"), 0o755)

const admin = (await hive(["token", "create", "--name", "operator"], env)).stdout.trim()
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json().catch(() => null)) as any }
}
const pending = async () => (await api("GET", "/api/approvals?status=pending")).body.items as { id: string; ref: string; session_id: string }[]
const opened = () => until("the approval", async () => ((await pending()).length ? pending() : undefined))
const phoneUrl = /phone listener (http:\/\/[\d.]+:\d+)/.exec(server.log())![1]!

// What a person would see, kept for a look: the phone page with the prompt, the pane after a reply.
const SHOTS = join(import.meta.dir, "..", "artifacts")
mkdirSync(SHOTS, { recursive: true })

let browser: Browser | undefined
afterAll(async () => void (await browser?.close()))

const token = (await hive(["token", "create", "--name", "claude-hooks", "--scope", "hooks"], env)).stdout.trim()
const hookEnv = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, HIVE_HOME: env.HIVE_HOME, HIVE_TOKEN: token }
expect(
  (await hive(["hook", "install", "--command", `${join(bin, "hive")} hook`, "--url", server.url], { ...claudeEnv(hookEnv), CLAUDE_CONFIG_DIR: "" })).code,
).toBe(0)
expect((await api("PUT", "/api/preferences/permissions.policy", { value: "always" })).status).toBe(200)
const claude = await interactive(hookEnv)
await claude.shows("? for shortcuts")

test("the phone page shows the permission prompt live, with the whole command; Approve lets the tool run", async () => {
  browser ??= await launchChromium()
  const page = await (await browser.newContext(PHONE)).newPage()
  page.setDefaultTimeout(15_000)
  const pairing = (await api("POST", "/api/pairing")).body as { url: string }
  await page.goto(pairing.url.replace(/^https?:\/\/[^/#]+/, phoneUrl))
  await page.getByText("nothing to approve").waitFor()

  await claude.type("PERMISSION-MARKER file=approved-on-phone")
  // Claude Code shows its own prompt meanwhile.
  await claude.shows("Do you want to proceed?")
  const [approval] = await opened()
  const shownAt = Date.now()
  const card = page.locator(".approval", { hasText: "approved-on-phone" })
  await card.waitFor()
  // On the stream, not the page's 10 s refresh.
  expect(Date.now() - shownAt).toBeLessThan(5000)
  expect(await card.locator("pre.subject").textContent()).toBe("touch approved-on-phone && echo hello-from-tool")
  // The session by its label (its folder's name), the tool as the kind.
  expect(await card.textContent()).toContain(`Bash · ${work.split("/").at(-1)}`)
  await page.screenshot({ path: join(SHOTS, "permission-on-phone.png"), fullPage: true })
  // Two taps: the first arms, the second approves.
  await card.getByRole("button", { name: "Approve" }).click()
  await card.getByRole("button", { name: "Tap again: Approve" }).click()

  await claude.shows("Allowed by PermissionRequest hook")
  await claude.shows("Tool said: hello-from-tool")
  expect(existsSync(join(work, "approved-on-phone"))).toBe(true)
  expect((await api("GET", `/api/approvals/${approval!.id}`)).body.status).toBe("approved")
  await page.getByText("nothing to approve").waitFor()
}, 120_000)

test("denied through the phone API, the tool does not run and Claude Code hears the note", async () => {
  const pairing = (await api("POST", "/api/pairing")).body as { url: string }
  const key = await phoneKey()
  const paired = await fetch(`${phoneUrl}/pair`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ secret: new URL(pairing.url).hash.replace("#pair=", ""), name: "test phone", signing_key: key.publicKey }),
  })
  expect(paired.status).toBe(201)
  const cookie = paired.headers.get("set-cookie")!.split(";")[0]!

  await claude.type("PERMISSION-MARKER file=denied-on-phone")
  const [approval] = await opened()
  const phoneList = (await (await fetch(`${phoneUrl}/phone/api/approvals`, { headers: { cookie } })).json()) as { items: { id: string }[] }
  expect(phoneList.items.map((a) => a.id)).toEqual([approval!.id])
  // Signed with the phone's key, as the page signs every change.
  const denied = await phoneClient({ base: phoneUrl, cookie, key })("POST", `/phone/api/approvals/${approval!.id}`, {
    status: "denied",
    note: "not from the phone, thanks",
  })
  expect(denied.status).toBe(200)
  await claude.shows("Denied by PermissionRequest hook")
  await claude.shows("Tool said: not from the phone, thanks")
  expect(existsSync(join(work, "denied-on-phone"))).toBe(false)
}, 120_000)

test("past hive's deadline the approval is withdrawn and Claude Code's own prompt decides", async () => {
  expect((await api("PUT", "/api/preferences/permissions.deadlineSeconds", { value: 2 })).status).toBe(200)
  await claude.type("PERMISSION-MARKER file=allowed-at-terminal")
  const [approval] = await opened()
  await until("the withdrawal", async () => (await api("GET", `/api/approvals/${approval!.id}`)).body.status === "withdrawn", 15_000)
  // Nothing allowed it: the prompt is still Claude Code's, and the person at the terminal answers it.
  await Bun.sleep(500)
  expect(existsSync(join(work, "allowed-at-terminal"))).toBe(false)
  await claude.shows("Do you want to proceed?")
  // Its first choice is Yes.
  claude.keys("Enter")
  await until("the tool run", () => existsSync(join(work, "allowed-at-terminal")), 15_000)
  expect((await api("GET", `/api/approvals/${approval!.id}`)).body.resolution_note).toContain("Claude Code asks at its own prompt")
}, 120_000)

test("a reply sent with POST /api/sessions/:id/input appears in the pane and starts the next turn", async () => {
  const [session] = (await api("GET", "/api/sessions?state=active")).body.items
  expect(session.transport_kind).toBe("tmux")
  await until("the session at its prompt", async () => (await api("GET", `/api/sessions/${session.id}`)).body.status === "idle")
  const typed = await api("POST", `/api/sessions/${session.id}/input`, { text: "a reply from the phone" })
  expect(typed).toEqual({ status: 200, body: { transport: "tmux", chars: 22, enter: true } })
  await claude.shows("❯ a reply from the phone")
  const prompts = async () =>
    (await api("GET", `/api/events?session_id=${session.id}&kind=claude.UserPromptSubmit&limit=100`)).body.items.map(
      (e: { payload: { prompt: string } }) => e.payload.prompt,
    )
  await until("the next turn", async () => (await prompts()).includes("a reply from the phone"))
  await until("its end", async () => (await api("GET", `/api/sessions/${session.id}`)).body.status === "idle")
  // A reply from elsewhere: nobody is at the terminal, so the remote policy would ask the phone at once.
  expect((await api("GET", `/api/sessions/${session.id}`)).body.unattended_since).not.toBeNull()
  writeFileSync(join(SHOTS, "reply-in-tmux.txt"), claude.screen())
}, 120_000)
