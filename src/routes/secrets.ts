import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { badRequest } from "../errors"
import { SECRET_NAME } from "../secrets/vault"
import { Body, OneOf, Page, Query, Text } from "./schemas"
import type { ActorOf } from "./actor"

const Name = t.Object({ name: t.String({ pattern: SECRET_NAME, description: "e.g. agent_token:alice" }) })
const Encoding = OneOf(["utf8", "base64"])
const decoder = new TextDecoder("utf-8", { fatal: true })

function decodeValue(value: string, encoding: "utf8" | "base64" = "utf8"): Uint8Array {
  if (encoding === "utf8") return new TextEncoder().encode(value)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw badRequest('field "value": is not base64')
  return new Uint8Array(Buffer.from(value, "base64"))
}

function encodeValue(bytes: Uint8Array, encoding: "utf8" | "base64" | undefined) {
  if (encoding === "base64") return { value: Buffer.from(bytes).toString("base64"), encoding }
  try {
    return { value: decoder.decode(bytes), encoding: "utf8" as const }
  } catch {
    return { value: Buffer.from(bytes).toString("base64"), encoding: "base64" as const }
  }
}

/** Metadata everywhere; the value only from GET …/value, which is audited. */
export const secrets = ({ vault, config: { materializeDirs } }: Pick<Hive, "vault" | "config">, actorOf: ActorOf) =>
  new Elysia({ name: "routes.secrets", prefix: "/secrets", detail: { tags: ["secrets"] } })
    .get("", ({ query }) => vault.listSecrets(query), { query: t.Object(Page), detail: { description: "Names, key ids, sizes, times: never values." } })
    .post("/materialize", async ({ body, request }) => vault.materializePrefix(body.prefix, body.dir, await actorOf(request), { within: materializeDirs }), {
      body: Body({ prefix: Text(200, 1), dir: Text(4096, 1) }),
      detail: {
        operationId: "secrets.materializePrefix",
        summary: "Write one file per secret under a prefix",
        description:
          "One file per secret under the prefix: DIR/<rest of name>, mode 0600. DIR must lie inside a directory named in HIVE_MATERIALIZE_DIRS (403 otherwise).",
      },
    })
    .get("/:name", ({ params }) => vault.secretMeta(params.name), { params: Name })
    .put("/:name", async ({ params, body, request }) => vault.putSecret(params.name, decodeValue(body.value, body.encoding), await actorOf(request)), {
      params: Name,
      body: Body({ value: t.String({ minLength: 1, maxLength: 128 * 1024 }), encoding: t.Optional(Encoding) }),
    })
    .get(
      "/:name/value",
      async ({ params, query, request }) => ({ name: params.name, ...encodeValue(vault.revealSecret(params.name, await actorOf(request)), query.encoding) }),
      {
        params: Name,
        query: t.Object({ encoding: t.Optional(Query.oneOf("encoding", ["utf8", "base64"])) }),
        detail: { description: "The one reveal route; every call is audited." },
      },
    )
    .delete("/:name", async ({ params, request, status }) => status(204, vault.deleteSecret(params.name, await actorOf(request))), { params: Name })
    .post(
      "/:name/materialize",
      async ({ params, body, request }) => vault.materialize(params.name, body.path, await actorOf(request), { within: materializeDirs }),
      {
        params: Name,
        body: Body({ path: Text(4096, 1) }),
        detail: {
          operationId: "secrets.materialize",
          summary: "Write a secret to a file",
          description:
            "Writes the plaintext to an absolute path, atomically, mode 0600, only inside a directory named in HIVE_MATERIALIZE_DIRS (real paths: no symlink leads out; 403 otherwise).",
        },
      },
    )
