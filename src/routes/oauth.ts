import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { FORGE_NAME } from "../secrets/vault"
import { Body, Millis, Nullable, Page, Text } from "./schemas"
import type { ActorOf } from "./actor"

const Forge = t.Object({ forge: t.String({ pattern: FORGE_NAME, description: "e.g. github, gitlab, forgejo" }) })
const TokenInput = Body({
  access_token: Text(16 * 1024, 1),
  refresh_token: t.Optional(Nullable(Text(16 * 1024, 1))),
  expires_at: t.Optional(Nullable(Millis)),
  scope: t.Optional(Nullable(Text(2000))),
  account: t.Optional(Nullable(Text(500))),
})

export const oauth = ({ oauth: tokens }: Pick<Hive, "oauth">, actorOf: ActorOf) =>
  new Elysia({ name: "routes.oauth", prefix: "/oauth", detail: { tags: ["oauth"] } })
    .get("", ({ query }) => tokens.list(query), { query: t.Object(Page), detail: { description: "One row per forge, by forge; never token values." } })
    .get("/:forge", ({ params }) => tokens.meta(params.forge), { params: Forge })
    .put("/:forge", async ({ params, body, request }) => tokens.put(params.forge, body, await actorOf(request)), { params: Forge, body: TokenInput })
    .get("/:forge/tokens", async ({ params, request }) => tokens.reveal(params.forge, await actorOf(request)), {
      params: Forge,
      detail: { description: "Reveals the access and refresh tokens; audited." },
    })
    .delete("/:forge", async ({ params, request, status }) => status(204, tokens.delete(params.forge, await actorOf(request))), { params: Forge })
