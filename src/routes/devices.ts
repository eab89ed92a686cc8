import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { notFound } from "../errors"
import { Body, Id, Page, Text } from "./schemas"

/** The phone URL of a pairing: the secret rides in the fragment, which browsers never send to a server. */
export const pairingUrl = (base: string, secret: string) => `${base.replace(/\/$/, "")}/#pair=${secret}`

/** Admin side of pairing: open a window (with its QR code), list and revoke devices. */
export const devices = ({ pairing, stores: { pairing: store }, phoneBaseUrl, commit }: Pick<Hive, "pairing" | "stores" | "phoneBaseUrl" | "commit">) => {
  // The secret is never stored; the QR code of an open window is served from memory until it expires.
  const open = new Map<string, { url: string; expires_at: number }>()
  return new Elysia({ name: "routes.devices", detail: { tags: ["devices"] } })
    .post(
      "/pairing",
      ({ status }) => {
        const w = pairing.open()
        const url = pairingUrl(phoneBaseUrl(), w.secret)
        for (const [id, o] of open) if (o.expires_at <= Date.now()) open.delete(id)
        open.set(w.id, { url, expires_at: w.expires_at })
        return status(201, { id: w.id, url, code: w.code, expires_at: w.expires_at })
      },
      {
        detail: {
          description:
            "Opens a 2-minute pairing window (closing any other): the URL with its one-time secret for a QR code, and a 6-digit code to type instead.",
        },
      },
    )
    .get(
      "/pairing/:id/qr.svg",
      async ({ params }) => {
        const o = open.get(params.id)
        if (!o || o.expires_at <= Date.now()) throw notFound("open pairing", params.id)
        // Loaded on first use: qrcode and its dependencies cost ~2 MB of memory a server otherwise never needs.
        const QRCode = (await import("qrcode")).default
        return new Response(await QRCode.toString(o.url, { type: "svg", margin: 2 }), {
          headers: { "content-type": "image/svg+xml", "cache-control": "no-store" },
        })
      },
      { params: Id, detail: { summary: "The open pairing window's QR code, as SVG" } },
    )
    .get("/devices", ({ query }) => store.devices(query), { query: t.Object(Page), detail: { summary: "Paired devices, in the order they paired" } })
    .patch("/devices/:id", ({ params, body }) => commit.run(() => store.rename(params.id, body.name)), {
      params: Id,
      body: Body({ name: Text(100, 1) }),
      detail: { summary: "Rename a paired device" },
    })
    .delete("/devices/:id", ({ params }) => store.revoke(params.id), {
      params: Id,
      detail: { description: "The device's next request is refused; other devices keep working." },
    })
}
