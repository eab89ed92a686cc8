import type { Migration } from "../src/db/migrate"

// The audit log is evidence: hive appends to it and nothing rewrites it (issue 15). A row that came in
// through `hive import` is marked with when it was imported, so a claim copied from a file ("token X revealed
// secret Y") is never mistaken for something this install saw. Updates and deletes are refused by SQLite itself.
export default {
  name: "audit_append_only",
  up({ db }) {
    db.run("ALTER TABLE audit_log ADD COLUMN imported_at INTEGER")
    db.run("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    db.run("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
  },
  down({ db }) {
    db.run("DROP TRIGGER audit_log_no_update")
    db.run("DROP TRIGGER audit_log_no_delete")
    db.run("ALTER TABLE audit_log DROP COLUMN imported_at")
  },
} satisfies Migration
