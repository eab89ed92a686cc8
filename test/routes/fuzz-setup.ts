import { testApp } from "../helpers"
import type { Document, Target } from "./fuzz-harness"
import { OAuthTokens } from "../../src/secrets/oauth"

/** Which tags' operations may change the guarded tables; every other operation must leave them as they are. */
const GUARDED: Record<string, string[]> = {
  // An agent's purge deletes its token secret; the VAPID key pair (a secret) is made on its first use.
  secrets: ["secrets", "agents", "push", "notifications"],
  operator_oauth_tokens: ["oauth"],
  audit_log: ["secrets", "oauth", "agents", "push", "notifications"],
  api_tokens: [],
  schema_migrations: [],
}

/** A real app over a database holding a row of each kind, and the two fuzz targets: the admin and the phone listener. */
export async function fuzzTargets(): Promise<{ admin: Target; phone: Target }> {
  const ctx = await testApp()
  const s = ctx.stores
  const project = s.projects.create({ name: "p", directory: "/fuzz/p" })
  const session = s.sessions.create({ project_id: project.id, name: "s", agent_session_id: "agent-session-1" })
  const worktree = s.worktrees.create({ project_id: project.id, path: "/fuzz/p/wt", branch: "main" })
  s.preferences.put("theme", { dark: true })
  s.agents.create("alice")
  s.agents.create("bob")
  s.broker.send("alice", "bob", "hello")
  const approval = s.broker.requestApproval({ agent: "alice", kind: "deploy" })
  const question = s.broker.ask({ asker: "alice", target: null, question: "which?", options: ["a", "b"], multi: false, deadlineAt: null })
  s.commands.enqueue({ id: "command-1", target: "alice", payload: { do: 1 } })
  s.events.append({ kind: "seed", session_id: session.id, payload: { text: "hello" } })
  s.sdkSessions.set("gitlab:alice:r:1", "sdk-1")
  ctx.vault.putSecret("sentinel", new TextEncoder().encode("sentinel-value"), "fuzz")
  new OAuthTokens(ctx.vault.sealer).put("gitlab", { access_token: "sentinel-access" }, "fuzz")
  const upload = await ctx.app.handle(
    new Request(`http://localhost/api/sessions/${session.id}/artifacts?type=log&name=a.log`, {
      method: "POST",
      headers: { ...ctx.headers, "content-type": "text/plain" },
      body: "log line\n",
    }),
  )
  const artifact = ((await upload.json()) as { id: string }).id
  const { device } = await ctx.pairPhone("fuzz phone")
  // The phone the phone listener's fuzz speaks as: not among the known ids, so the admin fuzz (which revokes
  // and renames the devices it knows) leaves it paired and the phone routes are reached, not only refused.
  const { cookie, key } = await ctx.pairPhone("fuzzing phone")
  const second = (await ctx.call("POST", "/api/pairing")).body as { id: string }

  const known: Record<string, string[]> = {
    id: [project.id, session.id, worktree.id, approval.id, question.id, "command-1", artifact, device, second.id],
    name: ["alice", "bob", "sentinel", "prune-stale", "vacuum", "check-sessions"],
    key: ["theme", "gitlab:alice:r:1"],
    forge: ["gitlab"],
    recipient: ["alice", "bob"],
    a: ["alice"],
    b: ["bob"],
  }
  const doc = (await ctx.call("GET", "/openapi")).body as Document
  const phoneDoc = (await ctx.call("GET", "/openapi/phone")).body as Document
  return {
    admin: { app: ctx.app, doc, headers: ctx.headers, known, db: ctx.db, guarded: GUARDED },
    phone: {
      app: ctx.phone,
      doc: phoneDoc,
      headers: { cookie },
      known,
      db: ctx.db,
      // Nothing a phone sends touches credentials, but the VAPID key pair made on Web Push's first use.
      guarded: { ...Object.fromEntries(Object.keys(GUARDED).map((t) => [t, []])), secrets: ["push"], audit_log: ["push"] },
      recordsRefusals: ["pairing_windows"],
      // Every change signed with the phone's key, so the fuzz reaches each route, not only the signature check.
      sign: (method, url, body) => key.sign(method, url.pathname + url.search, body),
    },
  }
}

/** The run's seed: HIVE_FUZZ_SEED to repeat one, else a new one each run (printed, and named on failure). */
export const fuzzSeed = () => (process.env.HIVE_FUZZ_SEED ? Number(process.env.HIVE_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31))
