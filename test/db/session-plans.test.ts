import { expect, test } from "bun:test"
import { migratedDb } from "../helpers"

// Every hook for a session hive has not seen asks these (is it a fork?): over an imported registry of tens of
// thousands of sessions they must be index searches, not scans.
test("finding a process's or a folder's active session searches an index", async () => {
  const { db } = await migratedDb()
  const plan = (sql: string) =>
    db
      .query(`EXPLAIN QUERY PLAN ${sql}`)
      .all(1, 2)
      .map((r) => (r as { detail: string }).detail)
      .join(" | ")
  expect(plan("SELECT id FROM sessions WHERE state = 'active' AND pid = ?1 AND start_time IS ?2 ORDER BY updated_at DESC LIMIT 1")).toContain(
    "USING INDEX sessions_active_by_process",
  )
  expect(
    plan("SELECT id FROM sessions WHERE state = 'active' AND start_source = 'resume' AND cwd = ? AND updated_at >= ? ORDER BY updated_at DESC LIMIT 1"),
  ).toContain("USING INDEX sessions_resumed_by_cwd")
})
