import type { Hive } from "../hive"
import { Elysia, t } from "elysia"
import { badRequest } from "../errors"
import { PERMISSION_DEFAULTS, permissionPreferenceError } from "../hooks/permission"
import { NOTICE_DEFAULTS, notificationPreferenceError } from "../notify/notices"
import { SEED_DEFAULTS, seedPreferenceError } from "../db/preferences"
import { notFound } from "../errors"
import { retentionPreferenceError } from "../jobs/retention"
import { Body } from "./schemas"

/** What a key holds when nothing is stored: seed 000's defaults and hive's own switches. */
export const PREFERENCE_DEFAULTS: Record<string, unknown> = { ...SEED_DEFAULTS, ...PERMISSION_DEFAULTS, ...NOTICE_DEFAULTS }

const Key = t.Object({ key: t.String({ pattern: "^[A-Za-z0-9._:-]{1,200}$", description: "letters, digits and . _ : -" }) })

export const preferences = ({ stores: { preferences: store }, commit }: Pick<Hive, "stores" | "commit">) =>
  new Elysia({ name: "routes.preferences", prefix: "/preferences", detail: { tags: ["preferences"] } })
    .get("", () => store.allEffective(PREFERENCE_DEFAULTS), {
      detail: { description: "Every preference as one object: key -> JSON value, with the default of every key nobody set." },
    })
    .get(
      "/:key",
      ({ params }) => {
        const found = store.effective(params.key, PREFERENCE_DEFAULTS)
        if (!found) throw notFound("preference", params.key)
        return found
      },
      { params: Key, detail: { description: "A stored preference, or its default (`default: true`, `updated_at: null`) where none is stored." } },
    )
    .put(
      "/:key",
      ({ params, body }) => {
        if (!("value" in body)) throw badRequest('field "value": Expected required property')
        const wrong =
          seedPreferenceError(params.key, body.value) ??
          permissionPreferenceError(params.key, body.value) ??
          notificationPreferenceError(params.key, body.value) ??
          retentionPreferenceError(params.key, body.value)
        if (wrong) throw badRequest(`field "value": ${wrong}`)
        return commit.run(() => ({ ...store.put(params.key, body.value), default: false }))
      },
      { params: Key, body: Body({ value: t.Unknown({ description: "any JSON value" }) }) },
    )
    .delete("/:key", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.key))), { params: Key })
