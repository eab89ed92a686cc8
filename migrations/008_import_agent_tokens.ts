import { lstatSync, readdirSync } from "node:fs"
import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { LegacyPlan, Migration, MigrationContext, SecretSink } from "../src/db/migrate"
import { describeSource, importSource, type Source } from "../src/legacy/import"
import { SECRET_NAME } from "../src/secrets/vault"

// claude-hooks' per-agent Forgejo tokens (~/.config/claude-hooks/tokens/<agent>) and the Penpot token,
// plain-text 0600 files (seed 004, migration 014 there) -> secrets agent_token:<agent> and penpot_api_token.
// The value is the file's exact bytes, so `hive secrets materialize` gives containers the same file back.
type Entry = { name: string; value: Uint8Array }

function tokenFile(secrets: (() => SecretSink) | undefined, path: string, name: string): Source<Entry> {
  return {
    path,
    what: `token for ${name}`,
    secret: true,
    parse: (bytes) => ({ entries: [{ name, value: bytes }], duplicates: 0 }),
    key: (e) => e.name,
    insert: (e) => secrets!().importSecret(e.name, e.value),
    check: (e) => secrets!().compareSecret(e.name, e.value),
  }
}

type Listing = { sources: Source<Entry>[]; notes: { path: string; why: string }[] }

function sources(secrets: (() => SecretSink) | undefined, legacy: LegacyPaths): Listing {
  const notes: Listing["notes"] = []
  const list = [tokenFile(secrets, join(legacy.configDir, "penpot-token"), "penpot_api_token")]
  const dir = join(legacy.configDir, "tokens")
  let st: ReturnType<typeof lstatSync> | undefined
  try {
    st = lstatSync(dir)
  } catch {}
  if (st?.isSymbolicLink()) notes.push({ path: dir, why: "it is a symlink; hive neither follows nor deletes symlinks" })
  else if (st?.isDirectory())
    for (const file of readdirSync(dir).sort()) {
      const name = `agent_token:${file}`
      if (!new RegExp(SECRET_NAME).test(name)) notes.push({ path: join(dir, file), why: "its name cannot be a secret name (letters, digits, . _ : @ - only)" })
      else list.push(tokenFile(secrets, join(dir, file), name))
    }
  return { sources: list, notes }
}

export default {
  name: "import_agent_tokens",
  up(ctx: MigrationContext) {
    const { sources: list, notes } = sources(() => ctx.env.secrets(), ctx.env.legacy)
    for (const n of notes) ctx.report(`${n.path}: skipped, ${n.why}`)
    for (const s of list) importSource(ctx, s)
  },
  describe(env): LegacyPlan[] {
    const { sources: list, notes } = sources(undefined, env.legacy)
    return [...list.map(describeSource), ...notes.map((n) => ({ path: n.path, what: "agent token", state: `would be skipped: ${n.why}` }))]
  },
} satisfies Migration
