// make test-browser: the desk in headless Chromium, at a desktop size and a narrow one, against a real
// `hive serve` on a seeded database: a user's day, from sign-in to revoking a phone. Every view it visits is
// kept as a screenshot under test/artifacts/ (desk-*.png), to be looked at.
import { Database } from "bun:sqlite"
import { afterAll, expect, test } from "bun:test"
import { copyFileSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { launchChromium, PHONE } from "./chromium"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN, ROOT, tempDir, until } from "../helpers"

let browser: Browser | undefined
afterAll(async () => void (await browser?.close()))

const SHOTS = join(ROOT, "test", "artifacts")
const DAY = 86_400_000
const OLD_EVENTS = 3000

type Admin = (method: string, path: string, body?: unknown) => Promise<Record<string, any>>

/**
 * A data home as a user's looks after a few days: two projects, sessions (the newest with Claude Code's real
 * transcript), an agent waiting on an approval, and events of which OLD_EVENTS are ten days old.
 */
async function seededServer(env: Record<string, string>) {
  expect((await hive(["migrate"], env)).code).toBe(0)
  const db = new Database(join(env.HIVE_HOME!, "hive.db"))
  const insert = db.prepare("INSERT INTO events (ts, kind, agent, payload) VALUES (?, 'tool.finished', 'alice', ?)")
  const payload = JSON.stringify({ output: "x".repeat(400) })
  db.transaction(() => {
    for (let i = 0; i < OLD_EVENTS; i++) insert.run(Date.now() - 10 * DAY + i, payload)
  })()
  db.close()
  const token = (await hive(["token", "create", "--name", "seed"], env)).stdout.trim()
  const server = await startServer(["bun", MAIN], env)
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  const admin: Admin = async (method, path, body) =>
    (await (await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).json()) as Record<
      string,
      any
    >
  const shop = await admin("POST", "/api/projects", { name: "shop", directory: "/work/shop" })
  const docs = await admin("POST", "/api/projects", { name: "docs", directory: "/work/docs" })
  await admin("POST", "/api/sessions", { project_id: docs.id, label: "typo-sweep", status: "idle", cwd: "/work/docs" })
  await admin("POST", "/api/sessions", { project_id: shop.id, label: "checkout-refactor", status: "running", cwd: "/work/shop" })
  const transcript = join(tempDir(), "43dde135-ba21-493c-9156-212a4bc6ee77.jsonl")
  copyFileSync(join(ROOT, "test", "fixtures", "claude-code", "run-a", "transcript.jsonl"), transcript)
  await Bun.sleep(5) // the newest by a clear margin
  const newest = await admin("POST", "/api/sessions", {
    project_id: shop.id,
    label: "greeting-bot",
    status: "awaiting_input",
    cwd: "/work/shop",
    transcript_path: transcript,
  })
  await admin("POST", "/api/agents", { name: "alice" })
  const approval = await admin("POST", "/api/approvals", { agent: "alice", kind: "apply_commit", ref: "9f3e2d1" })
  return { server, admin, newest, approval }
}

/** Runs `body` with a page of `size`; a failure leaves a screenshot, and the server always stops. */
async function atSize(name: string, size: { width: number; height: number }, body: (page: Page, env: Record<string, string>) => Promise<void>) {
  browser ??= await launchChromium()
  const env = cliEnv()
  const context = await browser.newContext({ viewport: size, acceptDownloads: true })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  const errors: string[] = []
  page.on("pageerror", (err) => errors.push(err.message))
  try {
    await body(page, env)
    expect(errors).toEqual([])
  } catch (err) {
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, `${name}-failure-${Date.now()}.png`), fullPage: true }).catch(() => {})
    throw err
  } finally {
    await context.close()
  }
}

const shot = async (page: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `desk-${name}.png`), fullPage: true })
}

/** The number a storage card shows, in bytes (the page shows "1.4 MB"). */
async function cardBytes(page: Page, section: string, label: string): Promise<number> {
  const text = (await page.locator(`#${section} .card`, { hasText: label }).first().locator("b").textContent()) ?? ""
  const m = /^([\d.]+) (B|KB|MB|GB)$/.exec(text.trim())
  if (!m) throw new Error(`not a size: ${text}`)
  return Number(m[1]) * { B: 1, KB: 1024, MB: 1048576, GB: 1073741824 }[m[2] as "B"]
}

test("a user's day at the desk, 1280 px: sign in, read the newest transcript, resolve an approval the phone sees go, preview and prune, back up and download, revoke a phone", async () => {
  await atSize("desk", { width: 1280, height: 860 }, async (page, env) => {
    const { server, admin, newest, approval } = await seededServer(env)
    let phone: Page | undefined
    try {
      // The phone, paired and showing the approval.
      phone = await (await browser!.newContext(PHONE)).newPage()
      phone.setDefaultTimeout(10_000)
      await phone.goto((await admin("POST", "/api/pairing")).url)
      await phone.locator(".approval").waitFor()
      await phone.locator("#live.on").waitFor()

      // Sign in: the link `hive desk` prints works once, and leaves an HttpOnly, SameSite=Strict cookie.
      const desk = await hive(["desk", "--no-open"], env)
      expect(desk.code).toBe(0)
      const link = /Open (\S+)/.exec(desk.stdout)![1]!
      expect(link).toStartWith(`${server.url}/#link=`)
      await page.goto(link)
      await page.locator("#live.on").waitFor()
      expect(page.url()).not.toContain("link=")
      const cookie = (await page.context().cookies()).find((c) => c.name === "hive_desk")
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" })
      expect(cookie!.value).not.toBe("")
      expect(await page.locator("#pending-count").textContent()).toBe("1")

      // Sessions: by project, the newest first; the newest one's transcript and turn stats.
      const rows = page.locator("#view tbody tr")
      await rows.first().waitFor()
      expect(await rows.nth(0).textContent()).toBe("shop")
      expect(await rows.nth(1).textContent()).toContain("greeting-bot")
      expect(await rows.nth(2).textContent()).toContain("checkout-refactor")
      expect(await page.locator("#view").textContent()).toContain("docs")
      await shot(page, "sessions")
      await page.getByRole("link", { name: "greeting-bot" }).click()
      await page.getByText("Use the Bash tool to print a greeting").first().waitFor()
      expect(await page.locator(".turn").count()).toBeGreaterThanOrEqual(3)
      expect(await page.locator(".turn").nth(1).textContent()).toContain("→ Bash")
      await page.locator(".stats .card", { hasText: "tool calls" }).waitFor()
      expect(await page.locator(".stats .card", { hasText: "turns" }).locator("b").textContent()).toBe("1")
      expect(page.url()).toContain(`#/session/${newest.id}`)
      await shot(page, "session")

      // The broker: approve with a note; the phone's view changes by itself.
      await page.getByRole("link", { name: /Broker/ }).click()
      await page.locator(".approval").waitFor()
      await page.locator(".approval").getByLabel("note").fill("ship it")
      await shot(page, "broker")
      await page.locator(".approval").getByRole("button", { name: "Approve" }).click()
      await page.getByText("No approval is waiting.").waitFor()
      expect(await admin("GET", `/api/approvals/${approval.id}`)).toMatchObject({ status: "approved", resolution_note: "ship it" })
      await phone.getByText("nothing to approve").waitFor()
      await until("the count to clear", async () => (await page.locator("#pending-count").textContent()) === "")

      // Retention: a preview at 3d counts the old events and deletes nothing; saved, it is a preference.
      await page.getByRole("link", { name: "Storage & retention" }).click()
      const events = page.locator("tr", { has: page.getByLabel("retention.events") })
      await events.waitFor()
      const before = await cardBytes(page, "storage-database", "events")
      expect(before).toBeGreaterThan(OLD_EVENTS * 400)
      await page.getByLabel("retention.events").fill("3d")
      await events.getByRole("button", { name: "Preview" }).click()
      await events.getByText(`a prune now would delete ${OLD_EVENTS} events`).waitFor()
      expect((await admin("GET", "/api/events?limit=1&kind=tool.finished")).items).toHaveLength(1)
      await events.getByRole("button", { name: "Save" }).click()
      await page
        .locator("tr", { has: page.getByLabel("retention.events") })
        .locator(".badge.preference")
        .waitFor()
      expect((await admin("GET", "/api/retention")).items.find((r: { name: string }) => r.name === "eventsMs")).toMatchObject({
        ms: 3 * DAY,
        source: "preference",
      })
      await shot(page, "storage-before-prune")

      // The prune: the events are gone, and the page's events figure drops.
      await page
        .locator("tr", { has: page.getByLabel("retention.events") })
        .getByRole("button", { name: "Prune now" })
        .click()
      await page.getByText(`prune-events: ${OLD_EVENTS} deleted`).waitFor()
      await until("the storage figures to be redrawn", async () => (await cardBytes(page, "storage-database", "events")) < before / 4)
      expect((await admin("GET", "/api/events?limit=1&kind=tool.finished")).items).toHaveLength(0)
      await shot(page, "storage-after-prune")
      // The pages the prune freed go back to the disk: the file itself is smaller than before.
      const database = await cardBytes(page, "storage-totals", "database")
      await page.getByRole("button", { name: "Reclaim free space" }).click()
      await page.getByText("Free space given back to the disk.").waitFor()
      await until("the database figure to drop", async () => (await cardBytes(page, "storage-totals", "database")) < database - OLD_EVENTS * 300)
      await shot(page, "storage-reclaimed")

      // A backup, made and downloaded: a SQLite file.
      await page.getByRole("link", { name: "Backups" }).click()
      await page.getByText("No backups yet.").waitFor()
      await page.getByRole("button", { name: "Back up now" }).click()
      await page.getByText("Backup written and checked.").waitFor()
      const row = page.locator("#view tbody tr").first()
      await row.waitFor()
      const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("link", { name: "Download" }).click()])
      expect(download.suggestedFilename()).toMatch(/^hive-.*\.db$/)
      const saved = join(tempDir(), "downloaded.db")
      await download.saveAs(saved)
      expect(readFileSync(saved).subarray(0, 15).toString()).toBe("SQLite format 3")
      await row.getByRole("button", { name: "Check" }).click()
      await page.getByText(/passes every check/).waitFor()
      const copy = new Database(saved, { readonly: true })
      expect(copy.query("SELECT status FROM approvals WHERE id = ?").get(approval.id)).toEqual({ status: "approved" })
      copy.close()
      // Export everything, then import that file: every row is already here, so nothing changes, and the page says so.
      const [exported] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export", exact: true }).click()])
      expect(exported.suggestedFilename()).toMatch(/^hive-export-.*\.jsonl$/)
      const exportFile = join(tempDir(), "export.jsonl")
      await exported.saveAs(exportFile)
      expect(JSON.parse(readFileSync(exportFile, "utf8").split("\n")[0]!)).toMatchObject({ hive_export: 2, scope: { kind: "all" } })
      await page.getByLabel("export file").setInputFiles(exportFile)
      await page.getByRole("button", { name: "Import" }).click()
      const report = page.locator("#import-report")
      await report.waitFor()
      expect(await report.locator("tr", { hasText: "sessions" }).first().textContent()).toContain("3")
      expect(await report.textContent()).not.toContain("failed:")
      await shot(page, "backups")

      // Devices: revoke the phone; its next request is refused.
      await page.getByRole("link", { name: "Devices & secrets" }).click()
      const device = page.locator("#view tbody tr", { has: page.getByRole("button", { name: "Revoke" }) })
      await device.waitFor()
      await shot(page, "devices")
      await device.getByRole("button", { name: "Revoke" }).click()
      await page.getByText(/^revoked /).waitFor()
      const [paired] = (await admin("GET", "/api/devices")).items
      expect(paired.revoked_at).not.toBeNull()
      const afterRevoke = await phone.evaluate("fetch('/phone/api/me').then((r) => r.status)")
      expect(afterRevoke).toBe(401)

      await page.getByRole("link", { name: "API reference" }).click()
      await page.getByText(/operations/).waitFor()
      await shot(page, "api")
      // Every view fits the width: nothing scrolls sideways.
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1280)
      console.log(
        `browser: desk at 1280 px: signed in by link, transcript read, approval resolved (phone updated), ${OLD_EVENTS} events previewed and pruned, backup downloaded, phone revoked`,
      )
    } finally {
      await phone?.context().close()
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
  })
}, 120_000)

test("the desk at 390 px: sign in with a token, every view readable without sideways scrolling; a read-only token changes nothing", async () => {
  await atSize("desk-narrow", { width: 390, height: 844 }, async (page, env) => {
    const { server } = await seededServer(env)
    try {
      await page.goto(server.url)
      await page.getByLabel("API token").waitFor()
      await shot(page, "narrow-signin")
      await page.getByLabel("API token").fill("not-a-token")
      await page.getByRole("button", { name: "Sign in" }).click()
      await page.locator("#signin-error").filter({ hasText: /./ }).waitFor()
      const token = (await hive(["token", "create", "--name", "desk-narrow"], env)).stdout.trim()
      await page.getByLabel("API token").fill(token)
      await page.getByRole("button", { name: "Sign in" }).click()
      await page.locator("#live.on").waitFor()
      for (const [view, ready] of [
        ["sessions", "greeting-bot"],
        ["broker", "apply_commit"],
        ["storage", "Inside the database"],
        ["jobs", "prune-events"],
        ["backups", "No backups yet."],
        ["devices", "Paired phones"],
        ["health", "integrity_check: ok"],
        ["api", "operations"],
      ] as const) {
        await page.goto(`${server.url}/#/${view}`)
        await page.locator("#view").getByText(ready).first().waitFor()
        expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
        // Tables are a card per row here: no column squeezed until its words break letter by letter.
        const widths = (await page.evaluate(
          "[...document.querySelectorAll('#view td')].filter((td) => td.offsetParent).map((td) => td.getBoundingClientRect().width)",
        )) as number[]
        if (widths.length) expect(Math.min(...widths)).toBeGreaterThan(300)
        await shot(page, `narrow-${view}`)
      }
      // Signing out ends the cookie's token: the next visit asks to sign in.
      await page.getByRole("button", { name: "Sign out" }).click()
      await page.getByText("Signed out.").waitFor()
      await page.reload()
      await page.getByLabel("API token").waitFor()

      // A read-scoped token sees the queue but cannot resolve it: the page says why.
      const reader = (await hive(["token", "create", "--name", "reader", "--scope", "read"], env)).stdout.trim()
      await page.getByLabel("API token").fill(reader)
      await page.getByRole("button", { name: "Sign in" }).click()
      await page.goto(`${server.url}/#/broker`)
      await page.locator(".approval").getByRole("button", { name: "Approve" }).click()
      await page
        .locator("#toast")
        .filter({ hasText: /scope|forbidden|may not/i })
        .waitFor()
      expect(await page.locator(".approval").count()).toBe(1)
      console.log("browser: desk at 390 px: token sign-in, 8 views without sideways scroll, sign-out, a read token refused a change")
    } finally {
      server.proc.kill("SIGTERM")
      await server.proc.exited
    }
  })
}, 120_000)
