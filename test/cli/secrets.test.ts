import { describe, expect, test } from "bun:test"
import { readdirSync, readFileSync, renameSync } from "node:fs"
import { join } from "node:path"
import { parseGenerations } from "../../src/secrets/keyring"
import { cliEnv, hive, tempDir } from "../helpers"

const keyFileOf = (env: ReturnType<typeof cliEnv>) => join(env.XDG_CONFIG_HOME, "hive", "master.key")

describe("hive secrets", () => {
  test("set from stdin, get, list without values, rm", async () => {
    const env = cliEnv()
    const set = await hive(["secrets", "set", "agent_token:alice"], env, "pat-CANARY-cli\n")
    expect(set).toMatchObject({ code: 0, stdout: expect.stringMatching(/^stored secret agent_token:alice \(14 bytes, key [0-9a-f]{8}\)\n$/) })
    expect((await hive(["secrets", "get", "agent_token:alice"], env)).stdout).toBe("pat-CANARY-cli")
    const list = await hive(["secrets", "list"], env)
    expect(list.stdout).toMatch(/agent_token:alice\s+[0-9a-f]{8}\s+14\s+\d{4}-/)
    expect(list.stdout).not.toContain("CANARY")
    expect((await hive(["secrets", "rm", "agent_token:alice"], env)).stdout).toBe("deleted secret agent_token:alice\n")
    expect(await hive(["secrets", "get", "agent_token:alice"], env)).toMatchObject({ code: 1, stderr: "hive: secret agent_token:alice not found\n" })
  })

  test("a value is never taken from argv; empty values and bad names are usage errors", async () => {
    const env = cliEnv()
    const argv = await hive(["secrets", "set", "x", "the-value"], env, "")
    expect(argv.code).toBe(2)
    expect(argv.stderr).toContain('unexpected argument "the-value"')
    expect((await hive(["secrets", "set", "x"], env, "")).stderr).toContain("the value is empty")
    expect((await hive(["secrets", "set", "bad name"], env, "v")).code).toBe(2)
    expect((await hive(["secrets", "materialize", "x"], env)).stderr).toContain("use either NAME --to PATH or --prefix PREFIX --dir DIR")
    expect((await hive(["secrets", "list"], env)).stdout).toContain("no secrets")
  })

  test("materialize --prefix writes one 0600 file per agent", async () => {
    const env = cliEnv()
    for (const a of ["alice", "bob"]) await hive(["secrets", "set", `agent_token:${a}`], env, `pat-${a}`)
    const dir = join(tempDir(), "agent-tokens")
    const res = await hive(["secrets", "materialize", "--prefix", "agent_token:", "--dir", dir], env)
    expect(res.stdout).toBe(`wrote ${join(dir, "alice")}\nwrote ${join(dir, "bob")}\n`)
    expect(readdirSync(dir).sort()).toEqual(["alice", "bob"])
    expect(readFileSync(join(dir, "alice"), "utf8")).toBe("pat-alice")
  })

  test("rotate-key re-seals everything and retires the old generation; status shows the keyring", async () => {
    const env = cliEnv()
    await hive(["secrets", "set", "a"], env, "value-a")
    const rotated = await hive(["secrets", "rotate-key"], env)
    expect(rotated.stdout).toMatch(/^rotated to key generation 2 \([0-9a-f]{8}\); re-sealed 1 value\(s\)\nretired key [0-9a-f]{8}\n$/)
    expect(parseGenerations(readFileSync(keyFileOf(env), "utf8"), "f").map((g) => g.generation)).toEqual([2])
    expect((await hive(["secrets", "get", "a"], env)).stdout).toBe("value-a")
    expect((await hive(["secrets", "status"], env)).stdout).toMatch(/generation 2 \([0-9a-f]{8}\) current: 1 encryptions; protects 1 secrets/)
  })

  for (const [point, next] of [
    ["rotate:after-keyfile", /^finished an interrupted rotation to key generation 2/],
    ["rotate:before-commit", /^finished an interrupted rotation to key generation 2/],
    ["rotate:after-commit", /^rotated to key generation 3/],
  ] as const)
    test(`a rotation killed at ${point} loses nothing, and the next run finishes the job`, async () => {
      const env = cliEnv()
      await hive(["secrets", "set", "a"], env, "value-a")
      await hive(["oauth", "set", "gitlab"], env, "access-a\nrefresh-a\n")
      const crashed = await hive(["secrets", "rotate-key"], { ...env, HIVE_TEST_FAULT: point })
      expect(crashed.code).not.toBe(0)
      expect((await hive(["secrets", "get", "a"], env)).stdout).toBe("value-a")
      expect(JSON.parse((await hive(["oauth", "get", "gitlab"], env)).stdout)).toMatchObject({ access_token: "access-a", refresh_token: "refresh-a" })
      const again = await hive(["secrets", "rotate-key"], env)
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(next)
      expect(parseGenerations(readFileSync(keyFileOf(env), "utf8"), "f")).toHaveLength(1)
      expect((await hive(["secrets", "get", "a"], env)).stdout).toBe("value-a")
      expect(JSON.parse((await hive(["oauth", "get", "gitlab"], env)).stdout).refresh_token).toBe("refresh-a")
    })

  test("with encrypted values present, a wrong or missing key makes serve, migrate and secrets refuse to start", async () => {
    const env = cliEnv()
    await hive(["secrets", "set", "a"], env, "value-a")
    const wrong = { ...env, HIVE_MASTER_KEY: Buffer.alloc(32, 9).toString("base64") }
    for (const args of [["serve"], ["migrate"], ["secrets", "get", "a"], ["secrets", "set", "b"]]) {
      const res = await hive(args, wrong, "x")
      expect({ args, code: res.code }).toEqual({ args, code: 1 })
      expect(res.stderr).toContain("the master key from HIVE_MASTER_KEY is not the one this database needs")
      expect(res.stderr).toContain("1 secrets")
    }
    renameSync(keyFileOf(env), `${keyFileOf(env)}.moved`)
    for (const args of [["serve"], ["migrate"]]) {
      const res = await hive(args, env)
      expect(res.code).toBe(1)
      expect(res.stderr).toContain(`${keyFileOf(env)} does not exist, but this database holds values encrypted`)
    }
  })
})

describe("hive oauth", () => {
  test("set from stdin, list without tokens, get, rm", async () => {
    const env = cliEnv()
    const set = await hive(
      ["oauth", "set", "gitlab", "--account", "me", "--scope", "api", "--expires-at", "2030-01-01T00:00:00Z"],
      env,
      "CANARY-acc\nCANARY-ref\n",
    )
    expect(set.stdout).toBe("stored the gitlab oauth token with a refresh token\n")
    const list = await hive(["oauth", "list"], env)
    expect(list.stdout).toContain("gitlab       account=me scope=api expires=2030-01-01T00:00:00.000Z refresh=yes")
    expect(list.stdout).not.toContain("CANARY")
    expect(JSON.parse((await hive(["oauth", "get", "gitlab"], env)).stdout)).toMatchObject({
      forge: "gitlab",
      access_token: "CANARY-acc",
      refresh_token: "CANARY-ref",
      expires_at: Date.parse("2030-01-01T00:00:00Z"),
    })
    expect((await hive(["oauth", "rm", "gitlab"], env)).code).toBe(0)
    expect((await hive(["oauth", "get", "gitlab"], env)).code).toBe(1)
    expect((await hive(["oauth", "set", "gitlab", "--expires-at", "soon"], env, "x")).code).toBe(2)
  })
})
