import { Elysia } from "elysia"
import type { Hive } from "../hive"

/** The operator's check that notifications reach them: one notice through every channel, now. */
export const notifications = ({ notifier, stores }: Pick<Hive, "notifier" | "stores">) =>
  new Elysia({ name: "routes.notifications", prefix: "/notifications", detail: { tags: ["notifications"] } }).post(
    "/test",
    async () => {
      const { push, webhook } = await notifier.deliver({
        kind: "inputRequired",
        title: "hive: a test notification",
        body: "Notifications reach you here.",
        tag: "hive-test",
        path: "/",
      })
      const count = (o: string) => push.filter((p) => p === o).length
      return { push: { phones: stores.push.active().length, sent: count("sent"), gone: count("gone"), failed: count("failed") }, webhook }
    },
    {
      detail: {
        summary: "Send a test notification",
        description:
          "To every paired phone subscribed to Web Push and to the webhook (the `notifications.webhook` secret), whatever the preferences say. `webhook` is null when none is set, else whether it answered 2xx.",
      },
    },
  )
