import { expect, test } from "bun:test"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../helpers"

test("disk full: writes get a clear 507, reads keep working, writes come back once space is freed, nothing is lost", async () => {
  const mount = tempDir("hive-tmpfs-")
  const outside = tempDir()
  mkdirSync(join(outside, "config"), { recursive: true })
  const probe = Bun.spawnSync(["unshare", "-rm", "true"], { stderr: "pipe" })
  if (probe.exitCode !== 0) {
    console.log(`disk-full: skipped: this machine does not allow \`unshare -rm\` (${probe.stderr.toString().trim()})`)
    return
  }
  const child = join(import.meta.dir, "fixtures", "diskfull-child.ts")
  const r = Bun.spawnSync(["unshare", "-rm", "sh", "-c", `mount -t tmpfs -o size=2m none "$1" && exec bun "$2" "$1" "$3"`, "sh", mount, child, outside], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 120_000,
  })
  const out = r.stdout.toString().trim().split("\n").at(-1) ?? ""
  expect(r.exitCode, r.stderr.toString()).toBe(0)
  const f = JSON.parse(out)
  expect(f.full).toEqual({ status: 507, body: { error: { code: "insufficient_storage", message: "the disk holding the database is full" } } })
  expect(Object.keys(f.statuses).sort()).toEqual(["201", "507"])
  expect(f.readsWhileFull).toEqual([200, 200, 200])
  expect(f.secondTry).toBe(507)
  expect(f.afterFree).toBe(201)
  // Batches written by the ingest worker: the same clear 507, and writes again once space is back.
  expect(f.batchOffThread).toBe(true)
  expect(f.batchFull).toEqual(f.full)
  expect(f.batchAfterFree).toBe(201)
  expect(f.lost).toBe(0)
  expect(f.integrity).toBe("ok")
  console.log(
    `disk-full: ${f.acknowledged} acknowledged until the 2 MiB disk filled, then 507 (single events, then batches on the ingest worker); reads served; writes back after freeing space; 0 lost; integrity ok`,
  )
}, 180_000)
