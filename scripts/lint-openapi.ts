// `make check`: both listeners' OpenAPI documents, written from the real apps, must pass `redocly lint`
// (its recommended rules) with no error.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { prepare } from "../src/cli/home"
import * as Config from "../src/config"
import { createHive } from "../src/hive"
import { silentLogger } from "../src/log"
import { createAdminApp } from "../src/server"

const dir = mkdtempSync(join(tmpdir(), "hive-openapi-"))
try {
  const config = Config.load({ home: join(dir, "home") }, { HOME: dir, XDG_CONFIG_HOME: join(dir, "config") })
  // The same open, migrate and unlock every command does, then the same composition root as hive serve.
  const prepared = await prepare(config, silentLogger)
  const { db } = prepared
  const app = createAdminApp(createHive(config, prepared, silentLogger))
  const files: string[] = []
  for (const path of ["/openapi", "/openapi/phone"]) {
    const res = await app.handle(new Request(`http://localhost${path}`))
    const file = join(dir, `${path.slice(1).replace("/", "-")}.json`)
    writeFileSync(file, await res.text())
    files.push(file)
  }
  db.close()
  const lint = Bun.spawnSync(["node_modules/.bin/redocly", "lint", "--format", "stylish", ...files], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  })
  const out = `${lint.stdout}${lint.stderr}`
  if (lint.exitCode !== 0) {
    console.error(out)
    process.exit(1)
  }
  console.log(`openapi: ${files.length} documents, redocly lint (recommended): no errors`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
