import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { Migration } from "../src/db/migrate"
import { describeSource, importSource, LegacyFormatError, type Source } from "../src/legacy/import"
import { duplicateKeys, entry as checked, isObject, millis, optional, parseJson } from "../src/legacy/json"

// Short-lived reply tokens (seed 003: 24 h TTL). A token is a credential: only its SHA-256 is stored,
// which is all a lookup needs, and no message ever names one.
const TTL_MS = 24 * 60 * 60 * 1000
type Entry = { hash: string; agent_session_id: string; chat_id: number | null; created_at: number; expires_at: number }

export const hashToken = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("hex")

function entry(token: string, raw: unknown, index: number, now: number): Entry {
  return checked(`entry (#${index + 1})`, () => {
    if (!isObject(raw)) throw new LegacyFormatError("must be an object")
    const sessionId = optional<string>(raw.session_id, "session_id", "string")
    if (!sessionId) throw new LegacyFormatError('"session_id" is required')
    let chat = raw.chat_id ?? null
    if (typeof chat === "string" && /^-?\d+$/.test(chat)) chat = Number(chat)
    if (chat !== null && (typeof chat !== "number" || !Number.isSafeInteger(chat))) throw new LegacyFormatError('"chat_id" must be a whole number')
    const created = millis(raw.created_at, "created_at") ?? now
    return {
      hash: hashToken(token),
      agent_session_id: sessionId,
      chat_id: chat as number | null,
      created_at: created,
      expires_at: millis(raw.expires_at, "expires_at") ?? created + TTL_MS,
    }
  })
}

function source(db: Database | undefined, legacy: LegacyPaths, now = Date.now): Source<Entry> {
  return {
    path: join(legacy.ccrDir, "data", "claude-tokens.json"),
    what: "Claude-Code-Remote reply tokens",
    secret: true,
    parse(bytes) {
      const { value, tree } = parseJson(bytes)
      if (!isObject(value)) throw new LegacyFormatError('must be an object of the form { "<token>": { "session_id": ... } }')
      const t = now()
      return { entries: Object.entries(value).map(([token, raw], i) => entry(token, raw, i, t)), duplicates: duplicateKeys(tree) }
    },
    key: (e) => e.hash,
    insert: (e) =>
      db!
        .query("INSERT INTO session_tokens (token_hash, agent_session_id, chat_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .run(e.hash, e.agent_session_id, e.chat_id, e.created_at, e.expires_at).changes
        ? "inserted"
        : "same",
    check: (e) => (db!.query("SELECT 1 FROM session_tokens WHERE token_hash = ?").get(e.hash) ? "same" : "absent"),
  }
}

export default {
  name: "import_reply_tokens",
  up(ctx) {
    // IF NOT EXISTS: a run resumed after a crash calls up() again to finish deleting the file.
    ctx.db.run(`CREATE TABLE IF NOT EXISTS session_tokens (
      token_hash TEXT PRIMARY KEY,
      agent_session_id TEXT NOT NULL,
      chat_id INTEGER,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) STRICT`)
    ctx.db.run("CREATE INDEX IF NOT EXISTS session_tokens_by_session ON session_tokens (agent_session_id)")
    ctx.db.run("CREATE INDEX IF NOT EXISTS session_tokens_by_expiry ON session_tokens (expires_at)")
    importSource(ctx, source(ctx.db, ctx.env.legacy, ctx.env.now))
  },
  describe: (env) => [describeSource(source(undefined, env.legacy))],
} satisfies Migration
