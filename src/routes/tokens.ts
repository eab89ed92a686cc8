import { Elysia } from "elysia"
import type { Hive } from "../hive"
import { tokenView } from "../db/tokens"
import { Id } from "./schemas"

/** The API tokens' metadata (never a token itself: it is not stored) and revocation, for the desk and the CLI. */
export const tokens = ({ stores: { tokens: store } }: Pick<Hive, "stores">) =>
  new Elysia({ name: "routes.tokens", prefix: "/tokens", detail: { tags: ["tokens"] } })
    .get("", () => ({ items: store.list().map((r) => tokenView(r)) }), {
      detail: { description: "Every API token, oldest first: name, scope, agent, times and status. Never the token itself." },
    })
    .delete("/:id", ({ params }) => tokenView(store.revoke(params.id)), {
      params: Id,
      detail: { description: "The token is refused from its very next request (revoking it again changes nothing)." },
    })
