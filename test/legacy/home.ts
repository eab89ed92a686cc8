import { Database } from "bun:sqlite"
import { chmodSync, cpSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { cliEnv, ROOT } from "../helpers"

const FIXTURES = join(ROOT, "test", "fixtures", "legacy")

/** A temp HOME holding a copy of every legacy fixture, and the flags that point hive at them. */
export function legacyHome() {
  const env = cliEnv()
  const root = join(env.HOME, "legacy")
  cpSync(FIXTURES, root, { recursive: true })
  mkdirSync(env.HIVE_HOME, { recursive: true })
  for (const f of ["preferences.json", "paired-devices.json"]) cpSync(join(root, "hive", f), join(env.HIVE_HOME, f))
  const files = {
    sessions: join(root, "ccr", "data", "claude-sessions.json"),
    replyTokens: join(root, "ccr", "data", "claude-tokens.json"),
    gitlab: join(root, "state", "gitlab-oauth-token.json"),
    sdk: join(root, "state", "sessions.json"),
    alice: join(root, "config", "tokens", "alice"),
    bob: join(root, "config", "tokens", "bob"),
    penpot: join(root, "config", "penpot-token"),
    preferences: join(env.HIVE_HOME, "preferences.json"),
    devices: join(env.HIVE_HOME, "paired-devices.json"),
  }
  for (const f of [files.alice, files.bob, files.penpot]) chmodSync(f, 0o600)
  const flags = ["--legacy-ccr-dir", join(root, "ccr"), "--legacy-state-dir", join(root, "state"), "--legacy-config-dir", join(root, "config")]
  const db = () => new Database(join(env.HIVE_HOME, "hive.db"), { readonly: true })
  return { env, root, files, flags, db }
}
