import { migrations } from "../../migrations"
import type { Config } from "../config"
import * as Events from "../db/events"
import { plan } from "../db/migrate"
import * as Sessions from "../db/sessions"
import { immediate } from "../db/tx"
import type { Caller, Transport } from "../hooks/caller"
import { type HookInput, recordHook } from "../hooks/record"
import { migrate, openHome } from "./home"

/** `hive hook` with no server to talk to: it records the hook in the database itself, migrating it first if need be. */
export async function recordLocally(config: Config, input: HookInput, caller: Caller, transport: Transport) {
  const db = openHome(config)
  try {
    if (plan(db, migrations).pending.length) await migrate(db, config)
    const stores = { sessions: Sessions.create(db), events: Events.create(db) }
    immediate(db, () => recordHook(stores, input, caller, transport))
  } finally {
    db.close()
  }
}
