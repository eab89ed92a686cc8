import type { Config } from "../config"
import { selfCommand } from "../process"

/**
 * Runs this hive's CLI in a child process on the server's own data home and master key (the ones it was
 * started with, whatever flags or variables chose them), for work the CLI already does and that must not
 * run on the server's thread: the doctor, an export, an import.
 */
export function spawnCli(config: Pick<Config, "home" | "masterKey">, args: string[], opts: { timeoutMs?: number; stderr?: "pipe" | "ignore" } = {}) {
  return Bun.spawn([...selfCommand(), ...args, "--home", config.home], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: opts.stderr ?? "pipe",
    timeout: opts.timeoutMs,
    env: { ...process.env, HIVE_MASTER_KEY: config.masterKey.base64 ?? "", HIVE_MASTER_KEY_FILE: config.masterKey.file },
  })
}
