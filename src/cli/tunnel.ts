import * as Config from "../config"
import { processAlive } from "../process"
import { createLogger } from "../log"
import { describeTunnel } from "../tunnel/settings"
import { HOME_OPTION, out, parse, subcommand, timestamp } from "./args"
import { prepare } from "./home"

export const help = `Usage: hive tunnel status [--json] [--home DIR]

  status   whether the running server's tunnel is up, connecting or down (and why), its public
           address (without the password) and how often it has reconnected. Exit code 0 when up, 1 otherwise.

The tunnel lets a phone reach hive's phone listener (pairing and the phone API, never the admin API)
from anywhere. Turn it on with \`hive serve --tunnel\`, or for every start:
  curl -X PUT -H "Authorization: Bearer $HIVE_TOKEN" -H 'content-type: application/json' \\
       -d '{"value": true}' http://127.0.0.1:7420/api/preferences/tunnel.enabled

Its address is https://hive-<12 hex>.<server>, derived from a random secret made once per install (the
\`hive.tunnel\` secret), behind basic auth with a password derived from the same secret: the same address and
password after every restart, so a paired phone keeps working. \`hive pair\` puts both in the QR code.
Set the tunnel.subdomain preference for an address of your choice; delete the hive.tunnel secret
(\`hive secrets rm hive.tunnel\`, then restart hive serve) for a new address and password (phones must pair
again).
If the subdomain is taken (for more than the 8 s a quick restart takes to free it), hive uses a random one,
says so, and moves back to the usual one once it is free again (tried every 30 s).

Options:
  --json       print the status as JSON
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help

Environment:
  HIVE_TUNNEL_SERVER          the localtunnel server (default https://lt.desplega.ai)
  HIVE_TUNNEL_PROBE_INTERVAL  how often the public address is checked (default 30s)`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive tunnel", argv, { ...HOME_OPTION, json: { type: "boolean" } })
  if (values.help) return (out(help), 0)
  subcommand("hive tunnel", positionals, { status: null })
  const config = Config.load({ home: values.home })
  const { db, stores } = await prepare(config, createLogger(config.logLevel))
  try {
    const view = describeTunnel(stores.tunnel.get(), processAlive)
    if (values.json) out(JSON.stringify(view, null, 2))
    else {
      out(`tunnel: ${view.status}${view.reason ? ` (${view.reason})` : ""}`)
      if (view.public_url) out(`address: ${view.public_url}   (pair a phone with \`hive pair\`: the QR code carries the password)`)
      if (view.subdomain_source)
        out(
          `subdomain: ${{ install: "this install's own", preference: "the tunnel.subdomain preference", random: "random (the usual one was taken)" }[view.subdomain_source]}`,
        )
      if (view.since) out(`since: ${timestamp(view.since)}; reconnects: ${view.reconnects}`)
    }
    return view.status === "up" ? 0 : 1
  } finally {
    db.close()
  }
}
