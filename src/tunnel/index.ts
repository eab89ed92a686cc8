import type { TunnelConfig } from "../config"
import { processAlive } from "../process"
import type { Stores } from "../db/stores"
import { UsageError } from "../errors"
import type { Logger } from "../log"
import type { Vault } from "../secrets/vault"
import type { TunnelKeeper } from "./keeper"
import { tunnelEnabled, tunnelSettings } from "./settings"

/**
 * The tunnel `hive serve` runs when asked (`--tunnel` or the tunnel.enabled preference), pointed at the
 * phone listener. Its status is kept in the database on every change, for `hive tunnel status` and
 * `hive pair`, which run in other processes. Returns null when the tunnel is off or cannot be set up
 * (the reason is then in the status, and the server serves on without it).
 */
export async function serveTunnel(o: {
  flag: boolean
  config: TunnelConfig
  stores: Pick<Stores, "preferences" | "tunnel">
  vault: Vault
  logger: Logger
  localHost: string
  localPort: number
  pid?: number
}): Promise<TunnelKeeper | null> {
  const pid = o.pid ?? process.pid
  const stale = o.stores.tunnel.get()
  if (stale && stale.pid !== pid && !processAlive(stale.pid)) o.stores.tunnel.clear(stale.pid)
  if (!tunnelEnabled(o.flag, o.stores.preferences)) return null
  let settings: ReturnType<typeof tunnelSettings>
  try {
    settings = tunnelSettings(o.config.server, o.stores.preferences, o.vault)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    o.logger.error(`tunnel not started: ${err.message}`)
    o.stores.tunnel.save(pid, { status: "down", reason: err.message, since: Date.now(), public_url: null, subdomain_source: null, reconnects: 0 })
    return null
  }
  // Loaded only when a tunnel is wanted: the client and its HTTP library cost start-up time and memory.
  const { createTunnel } = await import("./keeper")
  const keeper = createTunnel({
    ...settings,
    localHost: o.localHost,
    localPort: o.localPort,
    logger: o.logger,
    probeIntervalMs: o.config.probeIntervalMs,
    onChange: (s) => {
      try {
        o.stores.tunnel.save(pid, s)
      } catch (err) {
        // A busy or closing database must not take the tunnel down with it: the status is for display only.
        o.logger.debug(`could not record the tunnel status: ${(err as Error).message}`)
      }
    },
  })
  o.logger.info(`opening a tunnel to the phone listener via ${new URL(o.config.server).host}`)
  keeper.start()
  return keeper
}
