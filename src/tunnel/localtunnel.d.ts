// @desplega.ai/localtunnel ships no types: the part of its API hive uses.
declare module "@desplega.ai/localtunnel" {
  import type { EventEmitter } from "node:events"

  export type LocaltunnelOptions = {
    port: number
    /** The tunnel server, e.g. https://lt.desplega.ai. */
    host?: string
    subdomain?: string
    /** Where the tunnel connects locally (its Host header is rewritten to this). */
    local_host?: string
    /** true: the server makes up a password; a string: this password (username is always "hi"). */
    auth?: boolean | string
  }

  /** Emits "url" once its first socket is open, "error" (throws if nobody listens), "request", "close". */
  export interface Tunnel extends EventEmitter {
    url: string
    clientId: string
    closed: boolean
    close(): Promise<void>
  }

  /** With a callback, returns the client at once (so a registration that never answers can be closed). */
  function localtunnel(opts: LocaltunnelOptions, callback: (err: Error | null, client?: Tunnel) => void): Tunnel
  function localtunnel(opts: LocaltunnelOptions): Promise<Tunnel>
  export default localtunnel
}
