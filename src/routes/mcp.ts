import { Elysia, t } from "elysia"
import { forbidden, HiveError, unauthorized } from "../errors"
import type { Hive } from "../hive"
import { authenticate, callerOf } from "./actor"
import { holdOpen } from "./wait"

/**
 * `/mcp`: the broker's tools over MCP's streamable HTTP, for agent tokens. Each tool is a call of the REST API
 * with the same token, so the scope and identity checks are the API's own. The handler (and the MCP SDK with
 * it) is loaded on the first request: `hive serve` does not pay for it at start-up.
 */
export const mcp = (hive: Pick<Hive, "auth" | "stores" | "mcp" | "config">, handle: (r: Request) => Promise<Response>) =>
  new Elysia({ name: "routes.mcp", detail: { tags: ["mcp"] } })
    .derive(async ({ request }) => {
      // An agent's MCP client sends its token; the desk's cookie is for the desk's page, not for tools.
      if (!request.headers.get("authorization")) throw unauthorized("missing Authorization: Bearer <token> header")
      const caller = await authenticate(hive, request)
      if (caller.agent === null) throw forbidden("the MCP endpoint is for agent tokens: make one with `hive token create --agent NAME`")
      return {}
    })
    .post(
      "/mcp",
      ({ request, body, server }) => {
        // A waiting tool's answer may send nothing but progress for longer than Bun's idle timeout.
        holdOpen(server, request)
        if (!hive.mcp) throw new HiveError(404, "not_found", "this server has no MCP endpoint")
        return hive.mcp({
          request,
          body,
          agent: callerOf(request).agent!,
          authorization: request.headers.get("authorization")!,
          handle,
          progressMs: hive.config.mcpProgressMs,
        })
      },
      {
        body: t.Unknown({ description: "a JSON-RPC message (or batch) of the Model Context Protocol" }),
        detail: {
          summary: "The broker's tools over MCP",
          description:
            "Model Context Protocol, streamable HTTP transport, stateless (no session). The answer is JSON-RPC as JSON or as server-sent events (a long tool call sends progress). Agent tokens only.",
        },
      },
    )
