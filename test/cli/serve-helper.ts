import type { Subprocess } from "bun"

/** Starts `hive serve --port 0` (from source or a built binary) and resolves once it is listening. */
export async function startServer(cmd: string[], env: Record<string, string>, timeoutMs = 15_000, extraArgs: string[] = []) {
  const proc = Bun.spawn([...cmd, "serve", "--port", "0", ...extraArgs], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" })
  const decoder = new TextDecoder()
  let log = ""
  const reader = proc.stderr.getReader()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const { value, done } = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => ({ value: undefined, done: true }))])
    if (value) log += decoder.decode(value)
    const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(log)
    if (match) {
      // Keep draining stderr so the child never blocks on a full pipe.
      const rest = (async () => {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          log += decoder.decode(value)
        }
      })()
      return { proc: proc as Subprocess, url: match[1]!, log: () => log, drained: rest }
    }
    if (done) break
  }
  proc.kill("SIGKILL")
  throw new Error(`hive serve did not start:\n${log}`)
}
