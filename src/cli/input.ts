import { UsageError } from "../errors"

/**
 * A secret value from standard input, or from a prompt that does not echo when stdin is a terminal.
 * Never from argv: arguments are visible to every user in `ps` and land in shell history.
 */
export async function readSecretInput(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return (await Bun.stdin.text()).replace(/\r?\n$/, "")
  process.stderr.write(prompt)
  const stdin = process.stdin
  stdin.setRawMode(true)
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = ""
      stdin.on("data", (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") return resolve(value)
          if (ch === "\u0003") return reject(new UsageError("cancelled"))
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1)
          else value += ch
        }
      })
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write("\n")
  }
}
