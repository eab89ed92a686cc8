import { Elysia } from "elysia"
import type { Hive } from "../hive"
import { processAlive } from "../process"
import { describeTunnel } from "../tunnel/settings"

/** The phone tunnel's status, as the serving process keeps it: never its password. */
export const tunnel = ({ stores: { tunnel: store } }: Pick<Hive, "stores">) =>
  new Elysia({ name: "routes.tunnel", detail: { tags: ["tunnel"] } }).get("/tunnel", () => describeTunnel(store.get(), processAlive), {
    detail: { description: "up, connecting or down (with the reason); the public URL without credentials; how many times it reconnected." },
  })
