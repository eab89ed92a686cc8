import { expect, test } from "bun:test"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { startServer } from "../cli/serve-helper"
import { cliEnv, hive, MAIN } from "../helpers"

test("a corrupt database: serve refuses it untouched; restore brings back the newest backup; serve starts again", async () => {
  const env = cliEnv()
  expect((await hive(["secrets", "set", "kept"], env, "before the damage")).code).toBe(0)
  const backup = await hive(["backup"], env)
  const file = /backed up to (\S+)/.exec(backup.stdout)![1]!
  const dbPath = join(env.HIVE_HOME, "hive.db")
  const bytes = readFileSync(dbPath)
  const pageSize = bytes.readUInt16BE(16)
  for (let at = pageSize; at < bytes.length; at += pageSize) for (let i = 0; i < 12; i++) bytes[at + i]! ^= 0xa5
  writeFileSync(dbPath, bytes)

  const refused = await hive(["serve", "--port", "0"], env)
  expect(refused.code).toBe(1)
  expect(refused.stderr).toMatch(/is (damaged|not a readable SQLite database).*hive left it untouched/s)
  expect(refused.stderr).not.toContain("    at ")
  expect(readFileSync(dbPath).equals(bytes)).toBe(true)

  const restored = await hive(["restore", file], env)
  expect(restored.stderr).toBe("")
  expect(restored.code).toBe(0)
  // The damaged file is kept, byte for byte, for whoever wants to look at it.
  const aside = /kept the current database as (\S+)/.exec(restored.stdout)![1]!
  expect(aside).toEndWith("-damaged.db")
  expect(readFileSync(aside).equals(bytes)).toBe(true)
  const server = await startServer(["bun", MAIN], env)
  server.proc.kill("SIGTERM")
  await server.proc.exited
  expect((await hive(["secrets", "get", "kept"], env)).stdout).toBe("before the damage")
  expect((await hive(["doctor"], env)).stdout).toContain("ok    database  integrity_check: ok")
  console.log("corrupt: serve refused the damaged file untouched; restore brought back the backup")
}, 120_000)
