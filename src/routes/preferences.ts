import type { Hive } from "../hive"
import { Elysia, t } from "elysia"
import { badRequest } from "../errors"
import { permissionPreferenceError } from "../hooks/permission"
import { notificationPreferenceError } from "../notify/notices"
import { Body } from "./schemas"

const Key = t.Object({ key: t.String({ pattern: "^[A-Za-z0-9._:-]{1,200}$", description: "letters, digits and . _ : -" }) })

export const preferences = ({ stores: { preferences: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.preferences", prefix: "/preferences", detail: { tags: ["preferences"] } })
    .get("", () => store.all(), { detail: { description: "Every preference as one object: key -> JSON value." } })
    .get("/:key", ({ params }) => store.get(params.key), { params: Key })
    .put(
      "/:key",
      ({ params, body }) => {
        if (!("value" in body)) throw badRequest('field "value": Expected required property')
        const wrong = permissionPreferenceError(params.key, body.value) ?? notificationPreferenceError(params.key, body.value)
        if (wrong) throw badRequest(`field "value": ${wrong}`)
        return commit.run(() => store.put(params.key, body.value))
      },
      { params: Key, body: Body({ value: t.Unknown({ description: "any JSON value" }) }) },
    )
    .delete("/:key", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.key))), { params: Key })
