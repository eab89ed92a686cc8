import { describe, expect, test } from "bun:test"
import type { ErrorKind } from "../../src/errors"
import { testApp } from "../helpers"

// The typed client is typed from the app itself: this file does not compile if a route's input or answer
// changes shape under it (make check runs tsc over the tests), and its calls go through the real app.
describe("the typed client", () => {
  test("creates, reads and lists through the real routes, with the answers' own types", async () => {
    const { client, stores } = await testApp()
    const project = await client.projects.post({ name: "typed", directory: "/typed" })
    expect(project.status).toBe(201)
    const id: string = project.data!.id
    const session = await client.sessions.post({ project_id: id, name: "s", pid: 42 })
    const pid: number | null = session.data!.pid
    expect(pid).toBe(42)
    expect((await client.sessions({ id: session.data!.id }).get()).data?.project_id).toBe(id)
    const page = await client.sessions.get({ query: { project_id: id, limit: 10 } })
    expect(page.data?.items.map((s) => s.name)).toEqual(["s"])
    const event = await client.events.post({ kind: "typed", session_id: session.data!.id, payload: { n: 1 } })
    const eventId: number = event.data!.id
    expect(stores.events.newest()).toBe(eventId)
    stores.agents.create("alice")
    const approval = await client.approvals.post({ agent: "alice", kind: "deploy" })
    const resolved = await client.approvals({ id: approval.data!.id }).resolve.post({ status: "approved" })
    expect(resolved.data?.status).toBe("approved")
  })

  test("an error answer arrives as the client's error, with hive's error body", async () => {
    const { client } = await testApp()
    const missing = await client.projects({ id: "nope" }).get()
    expect(missing.status).toBe(404)
    // Typed as hive's one error body (src/client.ts), which is what really arrives.
    const code: ErrorKind | undefined = missing.error?.value.error.code
    expect(code).toBe("not_found")
    expect(missing.error?.value).toEqual({ error: { code: "not_found", message: "project nope not found" } })
  })
})

// Every list pages the same way: `limit`, `cursor`, and a `next_cursor` that is null on the last page.
describe("lists page with a cursor everywhere", () => {
  async function walk<T>(fetchPage: (cursor?: string) => Promise<{ items: T[]; next_cursor: string | null }>) {
    const seen: T[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 100; pages++) {
      const page = await fetchPage(cursor)
      seen.push(...page.items)
      if (page.next_cursor === null) return seen
      cursor = page.next_cursor
    }
    throw new Error("the cursor never ended")
  }

  test("agents, by name", async () => {
    const { client, stores } = await testApp()
    for (const name of ["carol", "alice", "bob", "dave", "erin"]) stores.agents.create(name)
    const names = await walk(async (cursor) => (await client.agents.get({ query: { limit: 2, cursor } })).data!)
    expect(names.map((a) => a.name)).toEqual(["alice", "bob", "carol", "dave", "erin"])
  })

  test("a target's pending commands, oldest first, with ids that hold dots; a cursor it never gave out is a 400", async () => {
    const { client, stores } = await testApp()
    const ids = ["b.2", "a.1", "c", "a", "z.z.z"]
    for (const [i, id] of ids.entries()) stores.commands.enqueue({ id, target: "box", payload: i }, 1000 + Math.floor(i / 2))
    stores.commands.enqueue({ id: "other", target: "elsewhere", payload: null }, 1000)
    const seen = await walk(async (cursor) => (await client.commands.get({ query: { target: "box", limit: 2, cursor } })).data!)
    // enqueued_at first, then id: (1000: a.1, b.2), (1001: a, c), (1002: z.z.z)
    expect(seen.map((c) => c.id)).toEqual(["a.1", "b.2", "a", "c", "z.z.z"])
    for (const cursor of ["nope", ".x", "12x.y"]) {
      const bad = await client.commands.get({ query: { target: "box", cursor } })
      expect(bad.status).toBe(400)
      expect(bad.error?.value.error.message).toBe('query field "cursor": not a cursor this list gave out')
    }
  })

  test("OAuth tokens by forge and paired devices in pairing order", async () => {
    const { client, oauth, pairPhone } = await testApp()
    for (const forge of ["gitlab", "github", "forgejo"]) oauth.put(forge, { access_token: `tok-${forge}` }, "test")
    const forges = await walk(async (cursor) => (await client.oauth.get({ query: { limit: 1, cursor } })).data!)
    expect(forges.map((f) => f.forge)).toEqual(["forgejo", "github", "gitlab"])
    expect(JSON.stringify(forges)).not.toContain("tok-")
    const paired = [await pairPhone("one"), await pairPhone("two"), await pairPhone("three")]
    const devices = await walk(async (cursor) => (await client.devices.get({ query: { limit: 2, cursor } })).data!)
    expect(devices.map((d) => d.id)).toEqual(paired.map((p) => p.device))
  })
})
