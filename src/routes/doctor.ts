import { Elysia } from "elysia"
import type { Hive } from "../hive"
import { HiveError } from "../errors"
import { runCli } from "./cli-child"

/** How long the doctor may take (a full integrity_check reads the whole file). */
const DOCTOR_TIMEOUT_MS = 5 * 60_000

type Report = { findings: { level: "ok" | "warn" | "fail"; check: string; what: string; fix: string | null }[]; problems: number }

/**
 * `hive doctor --json`, run as a child process: its checks read the whole database and every artifact file,
 * which must not stop the server answering, and they are the CLI's own (one doctor, not two). One run at a
 * time: a second request waits for the same answer.
 */
export const doctor = ({ config }: Pick<Hive, "config">) => {
  let running: Promise<Report & { ran_at: number; duration_ms: number }> | undefined
  const run = async () => {
    const started = Date.now()
    const { stdout, code, reason } = await runCli(config, ["doctor", "--json"], { timeoutMs: DOCTOR_TIMEOUT_MS })
    // Exit 1 is a report with problems in it; anything else, or no report, is the doctor failing to run.
    let report: Report | undefined
    try {
      report = JSON.parse(stdout) as Report
    } catch {}
    if ((code !== 0 && code !== 1) || !report?.findings) throw new HiveError(500, "internal", `hive doctor did not finish (exit ${code}): ${reason}`)
    return { ...report, ran_at: started, duration_ms: Date.now() - started }
  }
  return new Elysia({ name: "routes.doctor", detail: { tags: ["jobs"] } }).get(
    "/doctor",
    () => {
      running ??= run().finally(() => (running = undefined))
      return running
    },
    {
      detail: {
        summary: "The doctor's findings, with their fixes",
        description:
          "Runs `hive doctor` (database integrity and foreign keys, schema, key, id sequences, artifact files, the data home's mode, WAL size, tunnel, disk, schedules, backups) in a child process and answers its findings: `level` ok, warn or fail, `what`, and `fix`. Reads the whole database: seconds on a large one.",
      },
    },
  )
}
