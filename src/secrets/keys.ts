import { statSync } from "node:fs"
import type { Logger } from "../log"
import { deriveKey, loadKeyring, type Generation, type Keyring, type MasterKeySource, type Purpose } from "./keyring"

/**
 * The live keyring of a running process. Another process (`hive secrets rotate-key`, `hive token
 * create` after a rotation) may add a generation to the key file; meeting a key id we do not know,
 * we re-read the source once before calling it unknown.
 */
export function createKeys(initial: Keyring, source: MasterKeySource, logger?: Logger) {
  let ring = initial
  const derived = new Map<string, Uint8Array>()
  const triedReload = new Set<string>()
  const stamp = () => {
    if (!ring.file) return ""
    try {
      const st = statSync(ring.file)
      return `${st.ino}:${st.size}:${st.mtimeMs}`
    } catch {
      return ""
    }
  }
  let loadedStamp = stamp()

  function reload() {
    try {
      ring = loadKeyring(source, { mayCreate: false })
      loadedStamp = stamp()
      logger?.info(`reloaded the master key from ${ring.source}: ${ring.generations.length} generation(s)`)
    } catch (err) {
      logger?.warn(`could not reload the master key: ${(err as Error).message}`)
    }
  }

  const byId = (id: string): Generation | undefined => {
    const found = ring.byId(id)
    if (found || triedReload.has(id)) return found
    triedReload.add(id)
    reload()
    return ring.byId(id)
  }

  /**
   * The generation to seal or sign with. Checked against the key file first (one stat): after a
   * rotation by another process, sealing with the generation it retired would strand the value.
   */
  const current = () => {
    if (ring.file && stamp() !== loadedStamp) reload()
    return ring.current
  }

  return {
    ring: () => ring,
    replace(next: Keyring) {
      ring = next
      loadedStamp = stamp()
      triedReload.clear()
    },
    current,
    byId,
    /** HKDF sub-key of a generation for one purpose, derived once per process. */
    subKey(g: Generation, purpose: Purpose) {
      const k = `${g.id}/${purpose}`
      let key = derived.get(k)
      if (!key) derived.set(k, (key = deriveKey(g.key, purpose)))
      return key
    },
  }
}

export type Keys = ReturnType<typeof createKeys>
