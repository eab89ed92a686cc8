import type { Database } from "bun:sqlite"
import * as Preferences from "./preferences"
import * as Projects from "./projects"
import * as Sessions from "./sessions"
import * as Tokens from "./tokens"
import * as Worktrees from "./worktrees"

/** Every store over one connection; built once per process after migrations have run. */
export function createStores(db: Database) {
  return {
    projects: Projects.create(db),
    sessions: Sessions.create(db),
    worktrees: Worktrees.create(db),
    preferences: Preferences.create(db),
    tokens: Tokens.create(db),
  }
}

export type Stores = ReturnType<typeof createStores>
