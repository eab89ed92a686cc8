import { describe, expect, test } from "bun:test"
import { listenFront, type Served } from "../src/front"
import { createAdminApp } from "../src/server"
import { testApp } from "./helpers"

// The listener in front of the apps (src/front.ts), listening for real on 127.0.0.1: what it answers before
// the app is built, when it builds it, and that the app it builds is the one that answers from then on.
async function front(build: (hive: Awaited<ReturnType<typeof testApp>>["hive"]) => Promise<Served>) {
  const t = await testApp()
  let builds = 0
  const server = listenFront(t.hive, {
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 1 << 20,
    build: () => {
      builds++
      return build(t.hive)
    },
  })
  const url = `http://127.0.0.1:${server.port}`
  return { ...t, server, url, builds: () => builds }
}

describe("the front listener", () => {
  test("answers /health before the app exists, as the app would, and builds nothing for it", async () => {
    const f = await front(async (hive) => createAdminApp(hive))
    try {
      const early = await fetch(`${f.url}/health`)
      expect(early.status).toBe(200)
      const body = await early.json()
      expect(body).toEqual({ status: "ok", version: "test", schema_version: expect.any(Number), database: "ok" })
      expect(f.builds()).toBe(0)
      // The app's own /health, once it is built, says the same.
      expect((await fetch(`${f.url}/api/sessions`, { headers: f.headers })).status).toBe(200)
      expect(await (await fetch(`${f.url}/health`)).json()).toEqual(body)
    } finally {
      f.server.stop(true)
    }
  })

  test("refuses a foreign Host on /health before the app exists, as the guards do", async () => {
    const f = await front(async (hive) => createAdminApp(hive))
    try {
      const r = await fetch(`${f.url}/health`, { headers: { host: "evil.example:7420" } })
      expect(r.status).toBe(403)
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("forbidden_host")
      expect(f.builds()).toBe(0)
    } finally {
      f.server.stop(true)
    }
  })

  test("requests that arrive while the app is being built all wait for the one build, then get its answers", async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const f = await front(async (hive) => {
      await gate
      return createAdminApp(hive)
    })
    try {
      const waiting = Array.from({ length: 8 }, () => fetch(`${f.url}/api/sessions`, { headers: f.headers }))
      await Bun.sleep(50)
      // Still answered while the build waits.
      expect((await fetch(`${f.url}/health`)).status).toBe(200)
      release()
      const answers = await Promise.all(waiting)
      expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200))
      expect(f.builds()).toBe(1)
      // Without a token the app's own guard answers: the front door is out of the way.
      expect((await fetch(`${f.url}/api/sessions`)).status).toBe(401)
      expect(f.builds()).toBe(1)
    } finally {
      f.server.stop(true)
    }
  })

  test("a build that fails answers 503 with a clear error, and the next request builds again", async () => {
    let failures = 1
    const f = await front(async (hive) => {
      if (failures-- > 0) throw new Error("the app could not load")
      return createAdminApp(hive)
    })
    try {
      const failed = await fetch(`${f.url}/api/sessions`, { headers: f.headers })
      expect(failed.status).toBe(503)
      expect(((await failed.json()) as { error: unknown }).error).toEqual({ code: "unavailable", message: "hive could not load its API; see the server log" })
      expect((await fetch(`${f.url}/api/sessions`, { headers: f.headers })).status).toBe(200)
      expect(f.builds()).toBe(2)
    } finally {
      f.server.stop(true)
    }
  })
})
