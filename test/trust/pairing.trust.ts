import { expect, test } from "bun:test"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN } from "../helpers"
import { phoneKey } from "../phone-key"

test("through a real phone listener: 1,000 wrong codes evaluate at most 5 per window; no admin route answers there", async () => {
  const env = cliEnv()
  const token = (await hive(["token", "create", "--name", "trust"], env)).stdout.trim()
  const server = await startServer(["bun", MAIN], env)
  const phone = /phone listener (http:\/\/[\d.]+:\d+)/.exec(server.log())![1]!
  const admin = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  const open = async () => (await (await fetch(`${server.url}/api/pairing`, { method: "POST", headers: admin })).json()) as { url: string; code: string }
  const { publicKey: signing_key } = await phoneKey()
  const guess = async (body: Record<string, unknown>) => {
    const res = await fetch(`${phone}/pair`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, signing_key }),
    })
    return ((await res.json()) as { error?: { code: string } }).error?.code ?? String(res.status)
  }
  const wrongFor = (code: string) => (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0")
  try {
    let evaluated = 0
    let attempts = 0
    // 500 sequential wrong codes, then 500 more as 10 rounds of 50 in parallel, each against a fresh window.
    let w = await open()
    for (let i = 0; i < 500; i++) {
      const r = await guess({ code: wrongFor(w.code)(i) })
      attempts++
      if (r === "wrong_pairing_proof") evaluated++
    }
    expect(evaluated).toBe(5)
    expect(await guess({ secret: new URL(w.url).hash.slice(6) })).toBe("pairing_closed") // the right secret, too late
    for (let round = 0; round < 10; round++) {
      w = await open()
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => guess({ code: wrongFor(w.code)(i) })))
      attempts += 50
      const wrong = results.filter((r) => r === "wrong_pairing_proof").length
      expect(wrong).toBeLessThanOrEqual(5)
      evaluated += wrong
      expect(await guess({ code: w.code })).toBe("pairing_closed")
    }
    // A used secret replayed fails.
    w = await open()
    const secret = new URL(w.url).hash.slice(6)
    expect(await guess({ secret })).toBe("201")
    expect(await guess({ secret })).toBe("pairing_closed")

    // The trust boundary, over real sockets: the phone listener has no admin route, even with an admin token,
    // and takes any Host (a tunnel's); the admin listener refuses a foreign Host and sends no CORS header.
    for (const path of ["/api/projects", "/api/secrets", "/api/pairing", "/api/devices", "/openapi"])
      expect((await fetch(`${phone}${path}`, { headers: admin })).status, path).toBe(404)
    expect((await fetch(`${phone}/health`, { headers: { host: "hive-abc.tunnel.example" } })).status).toBe(200)
    const rebinding = await fetch(`${server.url}/api/projects`, { headers: { ...admin, host: "evil.example" } })
    expect(rebinding.status).toBe(403)
    const cors = await fetch(`${server.url}/api/projects`, { headers: { ...admin, origin: "https://evil.example" } })
    expect(cors.headers.get("access-control-allow-origin")).toBeNull()
    console.log(
      `pairing: ${attempts} wrong guesses over 11 windows (500 sequential, 10 x 50 parallel), ${evaluated} evaluated (at most 5 a window), 0 accepted`,
    )
  } finally {
    server.proc.kill("SIGTERM")
    await server.proc.exited
  }
}, 300_000)
