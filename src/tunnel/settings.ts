import type * as Preferences from "../db/preferences"
import type { TunnelRow } from "../db/tunnel"
import { UsageError } from "../errors"
import type { Vault } from "../secrets/vault"
import { SUBDOMAIN, tunnelIdentity, withCredentials } from "./identity"
import type { SubdomainSource, TunnelStatus } from "../db/tunnel"

/** The vault secret the tunnel's subdomain and password derive from. Deleting it gives the install a new address. */
export const INSTALL_SECRET = "hive.tunnel"

export type TunnelSettings = { server: string; subdomain: string; subdomainSource: Exclude<SubdomainSource, "random">; password: string }

/**
 * The older Electron app kept one preference `tunnel: { enabled, subdomain }` (seed 000); the import keeps it as
 * it was. hive's own keys win; the legacy one is read when they are not set, so an old user's tunnel stays on.
 */
function legacyTunnel(prefs: Preferences.Store): { enabled?: unknown; subdomain?: unknown } {
  const v = prefs.value("tunnel")
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as { enabled?: unknown; subdomain?: unknown }) : {}
}

/** `hive serve --tunnel`, or the tunnel.enabled preference (or the legacy tunnel.enabled inside `tunnel`). */
export const tunnelEnabled = (flag: boolean, prefs: Preferences.Store) => {
  if (flag) return true
  const own = prefs.value("tunnel.enabled")
  return own === undefined ? legacyTunnel(prefs).enabled === true : own === true
}

/** This install's tunnel subdomain and password (the secret they derive from is made on first use). */
export const installIdentity = (vault: Vault) => tunnelIdentity(vault.ownSecret(INSTALL_SECRET))

/** Where the tunnel registers and as what: a custom subdomain from the tunnel.subdomain preference, else the install's own. */
export function tunnelSettings(server: string, prefs: Preferences.Store, vault: Vault): TunnelSettings {
  const { subdomain, password } = installIdentity(vault)
  const legacy = legacyTunnel(prefs).subdomain
  const custom = prefs.value("tunnel.subdomain") ?? (typeof legacy === "string" && SUBDOMAIN.test(legacy) ? legacy : undefined)
  if (custom === undefined || custom === null || custom === "") return { server, subdomain, subdomainSource: "install", password }
  if (typeof custom !== "string" || !SUBDOMAIN.test(custom))
    throw new UsageError(
      `the tunnel.subdomain preference must be 4 to 63 lower-case letters, digits and inner hyphens, got ${JSON.stringify(custom).slice(0, 80)}: fix or delete it (PUT or DELETE /api/preferences/tunnel.subdomain)`,
    )
  return { server, subdomain: custom, subdomainSource: "preference", password }
}

export type TunnelView = TunnelStatus & { updated_at: number | null }

/**
 * The status to show, from the row the serving process keeps: a row whose process is gone (a killed
 * server) is not trusted, and no row means no server runs a tunnel.
 */
export function describeTunnel(row: TunnelRow | null, alive: (pid: number) => boolean): TunnelView {
  if (row && alive(row.pid)) {
    const { pid: _pid, ...status } = row
    return status
  }
  return {
    status: "down",
    reason: row
      ? "the server that ran the tunnel has stopped"
      : "no tunnel: start `hive serve --tunnel`, or set the tunnel.enabled preference to true and restart hive serve",
    since: row?.updated_at ?? 0,
    public_url: null,
    subdomain_source: null,
    reconnects: 0,
    updated_at: row?.updated_at ?? null,
  }
}

/** The address a phone opens through an up tunnel (with its basic-auth credentials), else undefined. */
export function tunnelPhoneUrl(view: Pick<TunnelStatus, "status" | "public_url">, password: () => string): string | undefined {
  return view.status === "up" && view.public_url ? withCredentials(view.public_url, password()) : undefined
}
