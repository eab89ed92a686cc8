import { describe, expect, test } from "bun:test"
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
    // Eden types thrown errors as its own validation shape: hive's one error body is what really arrives.
    expect(missing.error?.value as unknown).toEqual({ error: { code: "not_found", message: "project nope not found" } })
  })
})
