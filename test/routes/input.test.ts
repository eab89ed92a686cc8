import { afterAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import { hashToken } from "../../migrations/005_import_reply_tokens"
import { tempDir, testApp, until } from "../helpers"

// A real tmux server of the test's own (its own socket), with a pane running `cat`: what is typed appears in it.
const socket = join(tempDir("hive-tmux-"), "tmux.sock")
const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-S", socket, ...args], { stdout: "pipe", stderr: "pipe" })
tmux("new-session", "-d", "-s", "hive-test", "-x", "120", "-y", "20", "cat")
const pane = tmux("display-message", "-p", "-t", "hive-test", "#{pane_id}").stdout.toString().trim()
afterAll(() => void tmux("kill-server"))
const screen = () => tmux("capture-pane", "-p", "-t", pane).stdout.toString()

async function withSession(fields: Record<string, unknown>) {
  const ctx = await testApp()
  const session = (
    await ctx.call("POST", "/api/sessions", {
      agent_session_id: "cc-1",
      status: "idle",
      transport_kind: "tmux",
      transport_details: { tmux_socket: socket, tmux_pane: pane },
      ...fields,
    })
  ).body
  return { ...ctx, session }
}

describe("typing a reply into a waiting session", () => {
  test("the text appears in the session's tmux pane, then Enter; hive records that it typed", async () => {
    const { call, session, stores } = await withSession({})
    const res = await call("POST", `/api/sessions/${session.id}/input`, { text: 'yes, ship <it> "now" Enter' })
    expect(res).toMatchObject({ status: 200, body: { transport: "tmux", chars: 26, enter: true } })
    // cat echoes the line as typed and again once Enter sends it.
    await until("the reply in the pane", () => (screen().match(/yes, ship <it> "now" Enter/g)?.length ?? 0) >= 2)
    expect(stores.events.since(0, { kind: "hive.input" }).map((e) => e.payload)).toEqual([{ transport: "tmux", chars: 26, enter: true, forced: false }])
  })

  test("a session not waiting for input is a 409 unless forced; one that is gone, or in a bare tty, is a 409 saying why", async () => {
    const running = await withSession({ status: "running" })
    const refused = await running.call("POST", `/api/sessions/${running.session.id}/input`, { text: "hello" })
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { message: `session ${running.session.id} is running, not waiting for input; send "force": true to type anyway` } },
    })
    expect((await running.call("POST", `/api/sessions/${running.session.id}/input`, { text: "forced-reply", force: true, enter: false })).status).toBe(200)
    await until("the forced reply", () => screen().includes("forced-reply"))

    const ended = await withSession({ state: "ended" })
    expect((await ended.call("POST", `/api/sessions/${ended.session.id}/input`, { text: "x" })).body.error.message).toContain(
      "is ended: there is nothing to type into",
    )
    const tty = await withSession({ transport_kind: "pty", transport_details: { tty: "/dev/pts/9" } })
    expect((await tty.call("POST", `/api/sessions/${tty.session.id}/input`, { text: "x" })).body.error.message).toContain("bare terminal")
    const gonePane = await withSession({ transport_details: { tmux_socket: socket, tmux_pane: "%999" } })
    const gone = await gonePane.call("POST", `/api/sessions/${gonePane.session.id}/input`, { text: "x" })
    expect(gone.status).toBe(409)
    expect(gone.body.error.message).toStartWith("tmux could not type into the session:")
    // A refusal changes nothing: the session is not marked as answered from elsewhere, forced or not.
    const forcedTty = await tty.call("POST", `/api/sessions/${tty.session.id}/input`, { text: "x", force: true })
    expect(forcedTty.status).toBe(409)
    for (const { stores, session } of [tty, gonePane]) expect(stores.sessions.get(session.id).unattended_since).toBeNull()
    const noNvim = await withSession({ transport_kind: "nvim", transport_details: { nvim_socket: "/tmp/none.sock" } })
    const nvim = await noNvim.call("POST", `/api/sessions/${noNvim.session.id}/input`, { text: "x" })
    expect(nvim.status).toBe(409)
    expect(noNvim.stores.sessions.get(noNvim.session.id).unattended_since).toBeNull()
    for (const text of ["", "\u001b[2J", "a\u0000b"]) expect((await tty.call("POST", `/api/sessions/${tty.session.id}/input`, { text })).status).toBe(400)
  })

  test("reply tokens: made for a session with a chat id, found again for 24 h; imported ones work the same", async () => {
    const { call, session, db } = await withSession({})
    const made = await call("POST", `/api/sessions/${session.id}/reply-tokens`, { chat_id: 123456 })
    expect(made).toMatchObject({ status: 201, body: { session_id: session.id, chat_id: 123456 } })
    expect(made.body.token).toMatch(/^[A-Z2-9]{12}$/)
    expect(made.body.expires_at - Date.now()).toBeGreaterThan(23.9 * 3_600_000)
    const lookup = (token: string) => call("POST", "/api/reply-tokens/lookup", { token })
    const found = await lookup(made.body.token)
    expect(found.body).toMatchObject({ session: { id: session.id }, chat_id: 123456 })
    // Stored as its hash only, like the tokens imported from Claude-Code-Remote.
    expect(JSON.stringify(db.query("SELECT * FROM session_tokens").all())).not.toContain(made.body.token)
    db.run("INSERT INTO session_tokens (token_hash, agent_session_id, chat_id, created_at, expires_at) VALUES (?, 'cc-1', 7, ?, ?)", [
      hashToken("IMPORTED1"),
      Date.now(),
      Date.now() + 60_000,
    ])
    expect((await lookup("IMPORTED1")).body.chat_id).toBe(7)
    db.run("INSERT INTO session_tokens (token_hash, agent_session_id, chat_id, created_at, expires_at) VALUES (?, 'cc-1', 7, ?, ?)", [
      hashToken("EXPIRED01"),
      1,
      2,
    ])
    for (const t of ["EXPIRED01", "NEVERMADE"]) expect((await lookup(t)).status).toBe(404)
    expect((await call("POST", `/api/sessions/${session.id}/reply-tokens`, { token: made.body.token })).status).toBe(409)
  })
})
