import QRCode from "qrcode"
import { createPairing } from "../auth/pairing"
import * as Config from "../config"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import { pairingUrl } from "../routes/devices"
import { HOME_OPTION, noExtra, out, parse, timestamp } from "./args"
import { prepare } from "./home"
import { runningServer } from "./server-lock"
import { processAlive } from "../process"
import { describeTunnel, installIdentity, tunnelPhoneUrl } from "../tunnel/settings"

export const help = `Usage: hive pair [--url URL] [--home DIR]

Opens a pairing window for a phone (2 minutes, single use; any other open window closes) and prints
a QR code to scan, the URL it holds, and a 6-digit code to type on the phone instead.

The phone must reach hive's phone listener: through the tunnel when one is up (\`hive serve --tunnel\`;
the URL then carries the tunnel's password too), or directly on your network. The pairing secret rides
in the URL's fragment (#pair=...), which a browser never sends to a server.

Options:
  --url URL    the phone listener's address as the phone sees it (default: the tunnel's when it is
               up, else the running server's phone listener, else http://127.0.0.1:7421)
  --home DIR   data home (default ~/.hive, env HIVE_HOME)
  -h, --help   show this help`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive pair", argv, { ...HOME_OPTION, url: { type: "string" } })
  if (values.help) return (out(help), 0)
  noExtra("hive pair", positionals)
  const config = Config.load({ home: values.home })
  if (values.url !== undefined && !/^https?:\/\/[^\s#]+$/.test(values.url))
    throw new UsageError(`--url must be an http(s) address without a fragment, got "${values.url}"`)
  const { db, stores, auth, keys, vault } = await prepare(config, createLogger(config.logLevel))
  try {
    const tunnel = describeTunnel(stores.tunnel.get(), processAlive)
    const viaTunnel = tunnelPhoneUrl(tunnel, () => installIdentity(vault).password)
    const running = runningServer(config.home)
    // The listener the running server actually has (another port with --phone-port or --port 0).
    const base = values.url ?? viaTunnel ?? running?.phone_url ?? `http://${config.host}:${config.phonePort}`
    const w = createPairing(keys, stores.pairing, auth, { deviceTtlMs: config.deviceTtlMs }).open()
    const url = pairingUrl(base, w.secret)
    out(await QRCode.toString(url, { type: "terminal", small: true }))
    out(`Scan with the phone, or open ${url}`)
    out(`Or type this code on the phone's pair screen: ${w.code}`)
    out(`Open until ${timestamp(w.expires_at)}; single use.`)
    if (!running) out("No server is running on this home: start `hive serve --tunnel` (or `hive serve` on your network) so the phone can reach it.")
    else if (values.url === undefined && !viaTunnel)
      out(`The tunnel is not up (${tunnel.reason ?? tunnel.status}): this address works only where the phone can reach it directly.`)
    return 0
  } finally {
    db.close()
  }
}
