// The phone's signing key (issue 19), shared by the page and its service worker (importScripts). Made at
// pairing: a P-256 key pair whose private half cannot leave the browser (non-extractable, kept in IndexedDB);
// its public half goes to hive with the pairing. Every change the phone asks for is signed with it, so the
// device cookie alone, which the tunnel's relay sees, cannot approve, answer or type anything.
"use strict"
;(() => {
  const DB = "hive"
  const STORE = "keys"
  const ID = "device"
  const open = () =>
    new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1)
      req.onupgradeneeded = () => req.result.createObjectStore(STORE)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
  const inStore = async (mode, use) => {
    const db = await open()
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode)
      const req = use(t.objectStore(STORE))
      t.oncomplete = () => resolve(req.result)
      t.onerror = () => reject(t.error)
    })
  }
  const b64u = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "")
  const utf8 = new TextEncoder()
  // hive's clock minus this one, from the Date header of its last answer: a phone's clock may be off.
  let offset = 0

  self.hiveSigning = {
    /** A new key pair for a new pairing (replacing any older one); returns the public key to register. */
    async newKey() {
      const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
      await inStore("readwrite", (s) => s.put(pair, ID))
      return b64u(await crypto.subtle.exportKey("raw", pair.publicKey))
    },
    /** The headers that sign one request: method, path with query, time, nonce and the body's SHA-256. */
    async headers(method, path, body) {
      const pair = await inStore("readonly", (s) => s.get(ID))
      if (!pair) return {}
      const time = String(Date.now() + offset)
      const nonce = b64u(crypto.getRandomValues(new Uint8Array(18)))
      const hash = b64u(await crypto.subtle.digest("SHA-256", utf8.encode(body || "")))
      const text = ["hive-phone-v1", method.toUpperCase(), path, time, nonce, hash].join("\n")
      const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, utf8.encode(text))
      return { "x-hive-time": time, "x-hive-nonce": nonce, "x-hive-signature": b64u(signature) }
    },
    /** Learns hive's clock from an answer. */
    clock(res) {
      const at = Date.parse(res.headers.get("date") || "")
      if (!Number.isNaN(at)) offset = at + 500 - Date.now()
    },
  }
})()
