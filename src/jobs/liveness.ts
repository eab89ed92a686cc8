import type * as Sessions from "../db/sessions"
import { sameProcess } from "../process"

/**
 * Every 60 s: an active session whose Claude Code process is gone (or whose pid now belongs to another
 * program, told apart by its start time) is marked dead; active sessions past expires_at become expired.
 * Returns how many sessions changed.
 */
export function checkSessions(sessions: Pick<Sessions.Store, "watched" | "markDead" | "expire">, now: number, alive: typeof sameProcess = sameProcess): number {
  let changed = sessions.expire(now)
  for (const s of sessions.watched()) if (!alive(s.pid, s.start_time) && sessions.markDead(s.id, now)) changed++
  return changed
}
