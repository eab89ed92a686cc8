import type { Server } from "bun"
import { HiveError } from "./errors"
import { errorResponse, hostCheck } from "./routes/admit"
import { liveness } from "./routes/liveness"
import type { Hive } from "./hive"

/** What a listener serves once it is built: an Elysia app, whose `server` the routes use to hold a request open. */
export type Served = { fetch(request: Request): Response | Promise<Response>; server: Server<undefined> | null }

export type FrontOptions = {
  hostname: string
  port: number
  maxRequestBodySize: number
  /** The phone listener answers whatever Host the tunnel's name brings. */
  anyHost?: boolean
  /** Its /health says only whether hive is up (the tunnel makes that listener public). */
  public?: boolean
  /** Builds the app behind the listener, on the first request that needs it. */
  build: () => Promise<Served>
}

/**
 * A listener that is up as soon as the database is: it answers /health itself while the app behind it has
 * not been built, and builds that app (Elysia, every route, their schemas: two thirds of what a server costs
 * to start and to hold) on the first request that needs it, which waits for it (~40 ms, once). From then on
 * the app answers everything, /health included. An idle hive that nobody has called holds none of it.
 */
export function listenFront(hive: Pick<Hive, "db" | "config" | "logger">, o: FrontOptions): Server<undefined> {
  const refuseHost = o.anyHost ? () => undefined : hostCheck(o.hostname)
  let served: Served | undefined
  let building: Promise<Served> | undefined
  const build = (server: Server<undefined>) =>
    (building ??= o.build().then(
      (app) => {
        app.server = server
        served = app
        // From here the app is the listener's handler: no front door on a request's path.
        server.reload({ fetch: app.fetch })
        return app
      },
      (err) => {
        building = undefined
        throw err
      },
    ))
  const early = (request: Request) => {
    if (request.method !== "GET" || new URL(request.url).pathname !== "/health") return undefined
    const refused = refuseHost(request)
    if (refused) return errorResponse(refused)
    const answer = liveness(hive.db, hive.config.version, { public: o.public })
    return Response.json(answer.body, { status: answer.status })
  }
  return Bun.serve({
    hostname: o.hostname,
    port: o.port,
    // A second `hive serve` must fail on the port instead of silently sharing it (and the traffic) with the first.
    reusePort: false,
    development: false,
    // Long polls and event streams say so per request (holdOpen); the rest may idle this long.
    idleTimeout: 30,
    maxRequestBodySize: o.maxRequestBodySize,
    fetch(request, server) {
      if (served) return served.fetch(request)
      const answer = early(request)
      if (answer) return answer
      return build(server).then(
        (app) => app.fetch(request),
        (err) => {
          hive.logger.error(`could not build the app behind ${o.hostname}:${server.port}: ${(err as Error).stack ?? err}`)
          return errorResponse(new HiveError(503, "unavailable", "hive could not load its API; see the server log"))
        },
      )
    },
  })
}
