import type { Migration } from "../src/db/migrate"

// Tokens of their own for agents and hook scripts (issue 17): a token's scope says what it may do, and an
// agent token also names its agent, whose name every write it makes carries. The JWT carries both (it is
// what a request is checked against); the row keeps them so `hive token list` can show them. Every token
// issued before this migration was an admin token.
export default {
  name: "token_scopes",
  up({ db }) {
    db.run("ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('admin', 'agent', 'hooks', 'read'))")
    db.run("ALTER TABLE api_tokens ADD COLUMN agent TEXT CHECK ((scope = 'agent') = (agent IS NOT NULL))")
  },
  down({ db }) {
    db.run("ALTER TABLE api_tokens DROP COLUMN agent")
    db.run("ALTER TABLE api_tokens DROP COLUMN scope")
  },
} satisfies Migration
