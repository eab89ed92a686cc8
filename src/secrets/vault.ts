import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { Page, PageOptions } from "../db/entity"
import type * as Secrets from "../db/secrets"
import type { Stores } from "../db/stores"
import { immediate } from "../db/tx"
import { badRequest, HiveError, notFound } from "../errors"
import * as Cipher from "./cipher"
import type { Keys } from "./keys"
import { type Destination, ensureSecretDir, safeFileName, writeSecretFile } from "./materialize"
import { Sealer, type SealerOptions, secretAt } from "./sealer"

export { NONCE_WARN_AT } from "./sealer"
export const MAX_SECRET_BYTES = 64 * 1024
/** Secret names such as `agent_token:alice` or `penpot_api_token`: safe in a URL path segment and a file name. */
export const SECRET_NAME = "^[A-Za-z0-9._:@-]{1,200}$"
/** Forges such as `github`, `gitlab`, `forgejo`. */
export const FORGE_NAME = "^[a-z0-9._-]{1,64}$"

/** What lists and metadata show of a secret: never the envelope, let alone the value. */
export type SecretMeta = { name: string; key_id: string; size: number; created_at: number; updated_at: number }
const sized = (r: Secrets.StoredSecret): SecretMeta => ({
  name: r.name,
  key_id: r.key_id,
  size: Cipher.plaintextSize(r.bytes),
  created_at: r.created_at,
  updated_at: r.updated_at,
})

/**
 * Secrets over the stores: values are sealed before they reach SQL and opened only on the explicit reveal
 * and materialize paths, each of which is audited. (OAuth tokens: oauth.ts; the import sink: import-sink.ts;
 * key rotation: rotation.ts.)
 */
export class Vault {
  constructor(readonly sealer: Sealer) {}

  get #stores() {
    return this.sealer.stores
  }

  #value(name: string) {
    const row = this.#stores.secrets.find(name)
    if (!row) throw notFound("secret", name)
    return this.sealer.open(secretAt(name), row.envelope, `secret ${name}`)
  }

  /** `hive doctor`'s proof that the key works: decrypts the first stored secret, reveals and audits nothing. */
  verifyOne(): string | undefined {
    const row = this.#stores.secrets.first()
    if (!row) return undefined
    this.sealer.open(secretAt(row.name), row.envelope, `secret ${row.name}`)
    return row.name
  }

  /** After deleting sealed values some other way (purging an agent), fold the WAL so no old ciphertext stays in it. */
  scrub() {
    this.sealer.scrubWal()
  }

  listSecrets(page: PageOptions): Page<SecretMeta> {
    const p = this.#stores.secrets.list(page)
    return { items: p.items.map(sized), next_cursor: p.next_cursor }
  }

  secretMeta(name: string): SecretMeta {
    const m = this.#stores.secrets.meta(name)
    if (!m) throw notFound("secret", name)
    return sized(m)
  }

  putSecret(name: string, value: Uint8Array, actor: string): SecretMeta {
    if (value.byteLength > MAX_SECRET_BYTES) throw new HiveError(413, "payload_too_large", `a secret is at most ${MAX_SECRET_BYTES} bytes`)
    const { stores, keys, now } = this.sealer
    const { meta, replaced } = immediate(this.sealer.db, () => {
      const replaced = stores.secrets.find(name) !== undefined
      const meta = sized(stores.secrets.put(name, this.sealer.seal(secretAt(name), value), keys.current().id, now()))
      stores.audit.append("set", `secret:${name}`, actor, { replaced }, now())
      return { meta, replaced }
    })
    if (replaced) this.sealer.scrubWal()
    return meta
  }

  /**
   * A random secret hive keeps for itself (the tunnel's identity): made on first use, then read back
   * without an audit entry on each start. It is listed like any secret; deleting it makes a new one.
   */
  ownSecret(name: string, bytes = 32): Uint8Array {
    const { stores, keys, now } = this.sealer
    // Read without the write lock (every `hive serve --tunnel` and `hive pair` asks); make it under the lock.
    const stored = stores.secrets.find(name)
    if (stored) return this.sealer.open(secretAt(name), stored.envelope, `secret ${name}`)
    return immediate(this.sealer.db, () => {
      const row = stores.secrets.find(name)
      if (row) return this.sealer.open(secretAt(name), row.envelope, `secret ${name}`)
      const value = crypto.getRandomValues(new Uint8Array(bytes))
      stores.secrets.put(name, this.sealer.seal(secretAt(name), value), keys.current().id, now())
      stores.audit.append("set", `secret:${name}`, "hive", { generated: true }, now())
      return value
    })
  }

  /**
   * A secret hive itself sends with (the notification webhook's URL), or undefined when none is set: read on
   * each use without an audit entry, like `ownSecret`; nothing is shown to anyone. Audited reads are `revealSecret`.
   */
  useSecret(name: string): Uint8Array | undefined {
    return this.#stores.secrets.find(name) ? this.#value(name) : undefined
  }

  /** The one way to read a secret's value; audited. */
  revealSecret(name: string, actor: string): Uint8Array {
    const value = this.#value(name)
    this.#stores.audit.append("reveal", `secret:${name}`, actor, {}, this.sealer.now())
    return value
  }

  deleteSecret(name: string, actor: string) {
    immediate(this.sealer.db, () => {
      if (!this.#stores.secrets.remove(name)) throw notFound("secret", name)
      this.#stores.audit.append("delete", `secret:${name}`, actor, {}, this.sealer.now())
    })
    this.sealer.scrubWal()
  }

  materialize(name: string, path: string, actor: string, to: Destination = {}) {
    writeSecretFile(path, this.#value(name), to)
    this.#stores.audit.append("materialize", `secret:${name}`, actor, { path }, this.sealer.now())
    return { name, path }
  }

  /** One file per secret under a prefix: `agent_token:alice` -> DIR/alice. */
  materializePrefix(prefix: string, dir: string, actor: string, to: Destination = {}) {
    if (!prefix) throw badRequest("a prefix is required")
    ensureSecretDir(dir, to)
    const written: { name: string; path: string }[] = []
    const skipped: { name: string; reason: string }[] = []
    for (const row of this.#stores.secrets.withPrefix(prefix)) {
      const file = safeFileName(row.name.slice(prefix.length))
      if (!file) {
        skipped.push({ name: row.name, reason: "the rest of its name is not a plain file name" })
        continue
      }
      written.push(this.materialize(row.name, join(dir, file), actor, to))
    }
    return { written, skipped }
  }
}

/** The secrets vault over a database, with a sealer of its own. */
export function createVault(db: Database, stores: Pick<Stores, "secrets" | "oauth" | "audit" | "keys">, keys: Keys, opts: SealerOptions = {}): Vault {
  return new Vault(new Sealer(db, stores, keys, opts))
}
