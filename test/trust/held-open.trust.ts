import { afterAll, describe, expect, test } from "bun:test"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN } from "../helpers"

// The listener ends a request that has sent nothing for 30 s (Elysia's idleTimeout for Bun.serve); a long poll
// (up to 60 s) through the real listener must outlive that, or the waiter sees a reset instead of its answer.
describe("a long poll through a listening hive serve", () => {
  const env = cliEnv()
  let server: Awaited<ReturnType<typeof startServer>>
  afterAll(() => server?.proc.kill("SIGTERM"))

  test("held past the listener's idle timeout, it answers the unchanged state when its wait is over", async () => {
    const token = (await hive(["token", "create", "--name", "held"], env)).stdout.trim()
    server = await startServer(["bun", MAIN], env)
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    const asked = await fetch(`${server.url}/api/questions`, { method: "POST", headers, body: JSON.stringify({ asker: "operator", question: "ship it?" }) })
    expect(asked.status).toBe(201)
    const q = (await asked.json()) as { id: string }
    const started = Date.now()
    const held = await fetch(`${server.url}/api/questions/${q.id}?wait=40s`, { headers })
    expect(held.status).toBe(200)
    expect(((await held.json()) as { status: string }).status).toBe("open")
    expect(Date.now() - started).toBeGreaterThan(39_000)
  }, 90_000)
})
