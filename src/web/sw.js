// hive's phone page service worker: shows what hive pushes (Web Push), and acts on an approval's Approve and
// Deny buttons without opening the page. Served at /sw.js by the phone listener; its scope is the page.
"use strict"
importScripts("/sign.js")

self.addEventListener("install", () => self.skipWaiting())
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()))

self.addEventListener("push", (event) => {
  let n = {}
  try {
    n = event.data ? event.data.json() : {}
  } catch {
    n = { title: "hive", body: event.data ? event.data.text() : "" }
  }
  const actions = n.approval
    ? [
        { action: "approve", title: "Approve" },
        { action: "deny", title: "Deny" },
      ]
    : []
  event.waitUntil(
    self.registration.showNotification(n.title || "hive", {
      body: n.body || "",
      tag: n.tag || undefined,
      renotify: Boolean(n.tag),
      requireInteraction: Boolean(n.approval),
      data: { path: n.path || "/", approval: n.approval || null },
      actions,
    }),
  )
})

/** Approve or deny from the notification itself; what happened is the next notification. */
async function resolve(approval, status) {
  const path = `/phone/api/approvals/${encodeURIComponent(approval)}`
  const body = JSON.stringify({ status, note: "from the phone's notification" })
  // Signed with the phone's key, as every change from the phone is (sign.js).
  const signed = await self.hiveSigning.headers("POST", path, body)
  const res = await fetch(path, { method: "POST", credentials: "include", headers: { "content-type": "application/json", ...signed }, body })
  if (res.ok) return self.registration.showNotification(status === "approved" ? "Approved" : "Denied", { tag: `approval-${approval}`, body: "" })
  let message = `hive answered ${res.status}`
  try {
    message = (await res.json()).error.message
  } catch {}
  return self.registration.showNotification("Not done", { tag: `approval-${approval}`, body: message, data: { path: "/", approval: null } })
}

self.addEventListener("notificationclick", (event) => {
  const { path, approval } = event.notification.data || {}
  event.notification.close()
  if (approval && (event.action === "approve" || event.action === "deny")) {
    event.waitUntil(resolve(approval, event.action === "approve" ? "approved" : "denied"))
    return
  }
  event.waitUntil(
    (async () => {
      const url = new URL(path || "/", self.registration.scope).href
      const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true })
      for (const client of open) {
        if (new URL(client.url).origin === new URL(url).origin && "focus" in client) {
          await client.focus()
          if ("navigate" in client) await client.navigate(url).catch(() => {})
          return
        }
      }
      await self.clients.openWindow(url)
    })(),
  )
})
