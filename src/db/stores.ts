import type { Database } from "bun:sqlite"
import * as Agents from "./agents"
import * as Artifacts from "./artifacts"
import * as Audit from "./audit"
import * as Broker from "./broker"
import * as Commands from "./commands"
import * as Events from "./events"
import * as TurnStats from "./turn-stats"
import * as JobRuns from "./job-runs"
import * as Keys from "./keys"
import * as Maintenance from "./maintenance"
import * as OAuth from "./oauth"
import * as Pairing from "./pairing"
import * as Preferences from "./preferences"
import * as Projects from "./projects"
import * as Push from "./push"
import * as SdkSessions from "./sdk-sessions"
import * as Search from "./search"
import * as Secrets from "./secrets"
import * as Sessions from "./sessions"
import * as SessionTokens from "./session-tokens"
import * as Tokens from "./tokens"
import * as Tunnel from "./tunnel"
import * as Worktrees from "./worktrees"
import { preparedOnUse } from "./lazy"

/** Every store over one connection; built once per process after migrations have run. */
export function createStores(real: Database) {
  const db = preparedOnUse(real)
  const agents = Agents.create(db)
  const events = Events.create(db)
  const push = Push.create(db)
  return {
    projects: Projects.create(db),
    sessions: Sessions.create(db, events),
    worktrees: Worktrees.create(db),
    preferences: Preferences.create(db),
    tokens: Tokens.create(db),
    secrets: Secrets.create(db),
    oauth: OAuth.create(db),
    sdkSessions: SdkSessions.create(db),
    audit: Audit.create(db),
    keys: Keys.create(db),
    agents,
    broker: Broker.create(db, agents, events),
    commands: Commands.create(db),
    events,
    turnStats: TurnStats.create(db),
    sessionTokens: SessionTokens.create(db),
    jobRuns: JobRuns.create(db),
    maintenance: Maintenance.create(db),
    artifacts: Artifacts.create(db),
    search: Search.create(db),
    pairing: Pairing.create(db, push),
    tunnel: Tunnel.create(db),
    push,
  }
}

export type Stores = ReturnType<typeof createStores>
