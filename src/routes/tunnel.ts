import { Elysia } from "elysia"
import { processAlive } from "../db/job-runs"
import type * as Tunnel from "../db/tunnel"
import { describeTunnel } from "../tunnel/settings"

/** The phone tunnel's status, as the serving process keeps it: never its password. */
export const tunnel = (store: Tunnel.Store) =>
  new Elysia({ name: "routes.tunnel", detail: { tags: ["tunnel"] } }).get("/tunnel", () => describeTunnel(store.get(), processAlive), {
    detail: { description: "up, connecting or down (with the reason); the public URL without credentials; how many times it reconnected." },
  })
