import { statSync } from "node:fs"
import type { Logger } from "../log"
import { deriveKey, loadKeyring, type Generation, type Keyring, type MasterKeySource, type Purpose } from "./keyring"

/**
 * The live keyring of a running process. Another process (`hive secrets rotate-key`) may add or retire
 * generations in the key file; the file is re-read when it has changed, before sealing with the current
 * generation or calling a key id unknown.
 */
export function createKeys(initial: Keyring, source: MasterKeySource, logger?: Logger) {
  let ring = initial
  const derived = new Map<string, Uint8Array>()
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

  /** Re-reads the key file only if it changed since it was read (one stat): never on a caller's say-so. */
  const refresh = () => {
    if (ring.file && stamp() !== loadedStamp) reload()
  }

  // An id may come from an unauthenticated request (a JWT's kid): an unknown one costs a stat, and is not remembered.
  const byId = (id: string): Generation | undefined => {
    const found = ring.byId(id)
    if (found) return found
    refresh()
    return ring.byId(id)
  }

  /**
   * The generation to seal or sign with. Checked against the key file first: after a rotation by
   * another process, sealing with the generation it retired would strand the value.
   */
  const current = () => {
    refresh()
    return ring.current
  }

  return {
    ring: () => ring,
    replace(next: Keyring) {
      ring = next
      loadedStamp = stamp()
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
