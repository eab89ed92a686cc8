import { join } from "node:path"
import type { LegacyPaths } from "../src/config"
import type { LegacyOAuth, Migration, SecretSink } from "../src/db/migrate"
import { describeSource, importSource, LegacyFormatError, type Source } from "../src/legacy/import"
import { isObject, millis, optional, parseJson } from "../src/legacy/json"

// claude-hooks' GitLab OAuth token (seed 004, migration 012 there): imported only if hive has no gitlab
// row yet; a gitlab row with other tokens is newer, so the file is kept and reported, never overwritten.
function tokens(value: unknown): LegacyOAuth {
  if (!isObject(value)) throw new LegacyFormatError("must be an object with an access_token")
  const access = optional<string>(value.access_token, "access_token", "string")
  if (!access) throw new LegacyFormatError('"access_token" is required')
  let expires = millis(value.expires_at, "expires_at")
  const expiresIn = optional<number>(value.expires_in, "expires_in", "number")
  const created = optional<number>(value.created_at, "created_at", "number")
  // GitLab's token response gives created_at in unix seconds and expires_in in seconds.
  if (expires === null && expiresIn !== null && created !== null) expires = (created < 1e11 ? created * 1000 : created) + expiresIn * 1000
  return {
    access_token: access,
    refresh_token: optional<string>(value.refresh_token, "refresh_token", "string") || null,
    expires_at: expires,
    scope: optional<string>(value.scope, "scope", "string"),
    account: optional<string>(value.account ?? value.username, "account", "string"),
  }
}

function source(secrets: (() => SecretSink) | undefined, legacy: LegacyPaths): Source<LegacyOAuth> {
  return {
    path: join(legacy.stateDir, "gitlab-oauth-token.json"),
    what: "claude-hooks GitLab OAuth token",
    secret: true,
    parse: (bytes) => ({ entries: [tokens(parseJson(bytes).value)], duplicates: 0 }),
    key: () => "gitlab",
    insert: (e) => secrets!().importOAuth("gitlab", e),
    check: (e) => secrets!().compareOAuth("gitlab", e),
  }
}

export default {
  name: "import_gitlab_oauth",
  up: (ctx) =>
    importSource(
      ctx,
      source(() => ctx.env.secrets(), ctx.env.legacy),
    ),
  describe: (env) => [describeSource(source(undefined, env.legacy))],
} satisfies Migration
