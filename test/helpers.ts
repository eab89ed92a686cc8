import { phoneClient, phoneKey } from "./phone-key"
import type { Database } from "bun:sqlite"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "bun:test"
import { migrations } from "../migrations"
import { migrationEnv } from "../src/cli/home"
import * as Config from "../src/config"
import { createAuth } from "../src/auth/jwt"
import { apply } from "../src/db/migrate"
import { open } from "../src/db/open"
import { createStores } from "../src/db/stores"
import { silentLogger, type Logger } from "../src/log"
import { unlock } from "../src/secrets/unlock"
import { OAuthTokens } from "../src/secrets/oauth"
import { createVault } from "../src/secrets/vault"
import { adminClient } from "../src/client"
import { createHive } from "../src/hive"
import { createAdminApp, createPhoneApp } from "../src/server"

export const ROOT = join(import.meta.dir, "..")
export const MAIN = join(ROOT, "src", "main.ts")

const made: string[] = []
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory removed after the test file finishes. */
export function tempDir(prefix = "hive-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A config for an isolated temp HOME: data home, key file and every legacy location live under it. */
export function isolatedConfig(dir = tempDir()) {
  return Config.load({ home: join(dir, "hive-home") }, { HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_STATE_HOME: join(dir, "state") })
}

/** A real, migrated database file in a temp home. */
export async function migratedDb(): Promise<{ db: Database; home: string; config: Config.Config }> {
  const config = isolatedConfig()
  mkdirSync(config.home, { recursive: true })
  const db = open(config.dbPath)
  await apply(db, migrations, { env: migrationEnv(db, config) })
  return { db, home: config.home, config }
}

/** The real admin app over a real database, with a token for it. */
export async function testApp(
  opts: {
    maxBodyBytes?: number
    maxArtifactBytes?: number
    vault?: Parameters<typeof createVault>[3]
    logger?: Logger
    materializeDirs?: string[]
    mcpProgressMs?: number
    maxHookBytes?: number
    /** A local push service over plain http (HIVE_TEST_PUSH_HTTP). */
    pushAllowHttp?: boolean
  } = {},
) {
  const migrated = await migratedDb()
  const { db, home } = migrated
  const config: Config.Config = {
    ...migrated.config,
    version: "test",
    maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
    ...(opts.maxArtifactBytes ? { maxArtifactBytes: opts.maxArtifactBytes } : {}),
    ...(opts.materializeDirs ? { materializeDirs: opts.materializeDirs } : {}),
    ...(opts.mcpProgressMs ? { mcpProgressMs: opts.mcpProgressMs } : {}),
    ...(opts.maxHookBytes ? { maxHookBytes: opts.maxHookBytes } : {}),
    ...(opts.pushAllowHttp ? { pushAllowHttp: true } : {}),
  }
  const stores = createStores(db)
  const keyFile = config.masterKey.file
  const keys = unlock(config, stores)
  const auth = createAuth(keys, stores.tokens, Date.now, (id) => stores.pairing.state(id))
  const vault = createVault(db, stores, keys, opts.vault)
  // The same composition root as hive serve (src/hive.ts).
  const oauth = new OAuthTokens(vault.sealer)
  const hive = createHive(config, { db, stores, auth, vault, oauth, keys }, opts.logger ?? silentLogger, {
    mcp: async (o) => (await import("../src/mcp/http")).serveMcp(o),
  })
  const { blobs, scheduler, pairing: pairingService } = hive
  const app = createAdminApp(hive)
  /** The phone listener's app, over the same database. */
  const phone = createPhoneApp(hive)
  const jwtKey = keys.subKey(keys.current(), "jwt")
  const { token, row } = await auth.issue("test", 3600_000)
  const headers = { authorization: `Bearer ${token}` }

  /** The typed client (Eden Treaty, as in src/client.ts) over the app itself, in process. */
  const client = adminClient("http://localhost", token, {
    // In process (no listener), and addressed to localhost as a real client is (the Host check).
    fetcher: ((input: string | URL, init?: RequestInit) => app.handle(new Request(String(input), init))) as typeof fetch,
  }).api

  async function call(method: string, path: string, body?: unknown, extra: Record<string, string> = headers) {
    const init: RequestInit = { method, headers: { ...extra } }
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)["content-type"] = "application/json"
    }
    const res = await app.handle(new Request(`http://localhost${path}`, init))
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
  }
  /**
   * Opens a pairing window through the admin API and pairs a phone through the phone app: its cookie, device
   * id and signing key, and `phoneCall`, which makes the phone's requests (its changes signed).
   */
  async function pairPhone(name = "phone", phoneApp: { handle(r: Request): Response | Promise<Response> } = phone) {
    const window = (await call("POST", "/api/pairing")).body as { url: string }
    const key = await phoneKey()
    const paired = await phoneApp.handle(
      new Request("http://127.0.0.1:7421/pair", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ secret: new URL(window.url).hash.replace("#pair=", ""), name, signing_key: key.publicKey }),
      }),
    )
    const cookie = paired.headers.get("set-cookie")!.split(";")[0]!
    const device = ((await paired.json()) as { device: { id: string } }).device.id
    const phoneCall = phoneClient({ base: "http://127.0.0.1:7421", cookie, key, fetch: async (r) => phoneApp.handle(r) })
    return { cookie, device, key, phoneCall }
  }

  return {
    app,
    db,
    home,
    config,
    keyFile,
    stores,
    keys,
    auth,
    vault,
    oauth,
    scheduler,
    blobs,
    pairingService,
    phone,
    hive,
    jwtKey,
    token,
    tokenId: row.id,
    headers,
    call,
    client,
    pairPhone,
  }
}

/** Runs the CLI from source as a real process. */
export async function hive(args: string[], env: Record<string, string> = {}, stdin?: string) {
  const proc = Bun.spawn(["bun", MAIN, ...args], {
    env: { ...process.env, ...env },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

/** An isolated environment for CLI runs: its own HOME, data home and key location. */
export function cliEnv() {
  const dir = tempDir()
  return { HOME: dir, HIVE_HOME: join(dir, "hive-home"), XDG_CONFIG_HOME: join(dir, "config"), HIVE_MASTER_KEY: "" }
}

/** Polls until `fn` gives something truthy (sync or async), or fails naming what it waited for. */
export async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(25)
  }
}
