import * as Config from "../config"
import { FatalError, UsageError } from "../errors"
import { createLogger } from "../log"
import { HOME_OPTION, noExtra, out, parse, timestamp } from "./args"
import { prepare } from "./home"
import { runningServer } from "./server-lock"

export const help = `Usage: hive desk [--no-open] [--url URL] [--home DIR]

Opens the desk, hive's dashboard, in your browser: signed in by a link that works once, within 2 minutes.
The desk then keeps a 12-hour session in a cookie (sign out from its menu). The link's token rides in the
URL's fragment (#link=...), which a browser never sends to a server or puts in a log.

Without a browser to open (over SSH, or with --no-open), copy the printed link into one on this machine.
The desk can also be signed in to with any API token (\`hive token create\`): it then shows what that
token's scope may see.

Options:
  --no-open    print the link only
  --url URL    the desk's address (default: the running server's admin listener)
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

/** A link is for one sign-in right now: short enough that one left in a terminal's scrollback is useless. */
export const LINK_TTL_MS = 2 * 60_000

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive desk", argv, { ...HOME_OPTION, url: { type: "string" }, "no-open": { type: "boolean" } })
  if (values.help) return (out(help), 0)
  noExtra("hive desk", positionals)
  if (values.url !== undefined && !/^https?:\/\/[^\s#?]+$/.test(values.url))
    throw new UsageError(`--url must be an http(s) address without a query or fragment, got "${values.url}"`)
  const config = Config.load({ home: values.home })
  const base = values.url ?? runningServer(config.home)?.url
  if (!base) throw new FatalError(`hive desk: no hive server is running for ${config.home}: start it with \`hive serve\` (or give --url)`)
  const { db, auth } = await prepare(config, createLogger(config.logLevel))
  try {
    const { token, row } = await auth.issueLink(LINK_TTL_MS)
    const url = `${base.replace(/\/+$/, "")}/#link=${token}`
    out(`Open ${url}`)
    out(`The link signs in once, until ${timestamp(row.expires_at)}.`)
    if (!values["no-open"]) openBrowser(url)
    return 0
  } finally {
    db.close()
  }
}

/** Starts the desktop's browser on the link, if there is a desktop; the printed link is the fallback either way. */
function openBrowser(url: string) {
  const opener = process.platform === "darwin" ? "open" : process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? "xdg-open" : undefined
  if (!opener || !Bun.which(opener)) return
  try {
    Bun.spawn([opener, url], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }).unref()
  } catch {
    // No browser could be started: the link above is there to copy.
  }
}
