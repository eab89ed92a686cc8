import { expect, test } from "bun:test"
import { cliEnv, hive, MAIN } from "../helpers"
import { startServer } from "./serve-helper"

test("hive pair prints a QR code, the URL with its secret in the fragment, and a 6-digit code; hive devices lists and revokes", async () => {
  const env = cliEnv()
  const r = await hive(["pair", "--url", "https://hive-abc.lt.example"], env)
  expect(r.code).toBe(0)
  expect(r.stdout).toMatch(/Scan with the phone, or open https:\/\/hive-abc\.lt\.example\/#pair=[\w-]{22}\n/)
  expect(r.stdout).toMatch(/type this code on the phone's pair screen: \d{6}\n/)
  expect(r.stdout).toContain("▄") // the terminal QR code
  expect(r.stdout).toContain("No server is running on this home")
  expect((await hive(["devices", "list"], env)).stdout).toContain("no paired devices")
  expect((await hive(["devices", "revoke", "nope"], env)).stderr).toBe("hive: device nope not found\n")
  for (const args of [["pair", "--url", "not a url"], ["pair", "extra"], ["devices"], ["devices", "revoke"], ["devices", "frob"]]) {
    const bad = await hive(args, env)
    expect(bad.code, args.join(" ")).toBe(2)
    expect(bad.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1)
  }
})

test("hive pair points at the phone listener the running server has, not the default port", async () => {
  const env = cliEnv()
  const server = await startServer(["bun", MAIN], env)
  try {
    const phone = /phone listener (http:\/\/[\d.]+:\d+)/.exec(server.log())![1]!
    expect(phone).not.toEndWith(":7421")
    const r = await hive(["pair"], env)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`open ${phone}/#pair=`)
  } finally {
    server.proc.kill("SIGTERM")
    await server.proc.exited
  }
})

test("hive devices rename names a device; without --name, or for an unknown id, it says why", async () => {
  const env = cliEnv()
  expect((await hive(["devices", "rename", "some-id"], env)).stderr).toContain("--name NAME, 1 to 100 characters")
  expect((await hive(["devices", "list", "--name", "x"], env)).stderr).toContain("--name is for rename")
  const unknown = await hive(["devices", "rename", "01a23cd1-4e5e-77a7-b334-3d97787e8bcc", "--name", "x"], env)
  expect(unknown.code).toBe(1)
  expect(unknown.stderr).toContain("not found")
})
