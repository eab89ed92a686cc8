import type { Database } from "bun:sqlite"
import { join } from "node:path"
import type { Page, PageOptions } from "../db/entity"
import type * as Secrets from "../db/secrets"
import type { Stores } from "../db/stores"
import { immediate } from "../db/tx"
import { HiveError, notFound, badRequest } from "../errors"
import type { Logger } from "../log"
import * as Cipher from "./cipher"
import { addGeneration, retireUnused, type Generation } from "./keyring"
import type { Keys } from "./keys"
import { ensureSecretDir, safeFileName, writeSecretFile, type Destination } from "./materialize"

/** Random 96-bit nonces are safe for about 2^32 encryptions under one key; warn at a quarter of that. */
export const NONCE_WARN_AT = 2 ** 30
export const MAX_SECRET_BYTES = 64 * 1024
/** Secret names such as `agent_token:alice` or `penpot_api_token`: safe in a URL path segment and a file name. */
export const SECRET_NAME = "^[A-Za-z0-9._:@-]{1,200}$"
/** Forges such as `github`, `gitlab`, `forgejo`. */
export const FORGE_NAME = "^[a-z0-9._-]{1,64}$"

type VaultStores = Pick<Stores, "secrets" | "oauth" | "audit" | "keys">
export type OAuthInput = { access_token: string; refresh_token?: string | null; expires_at?: number | null; scope?: string | null; account?: string | null }
export type RotationReport = { resumed: boolean; to: string; generation: number; resealed: number; retired: string[]; kept: { id: string; because: string }[] }

/** What lists and metadata show of a secret: never the envelope, let alone the value. */
export type SecretMeta = { name: string; key_id: string; size: number; created_at: number; updated_at: number }
const sized = (r: Secrets.StoredSecret): SecretMeta => ({
  name: r.name,
  key_id: r.key_id,
  size: Cipher.plaintextSize(r.bytes),
  created_at: r.created_at,
  updated_at: r.updated_at,
})

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const where = (table: string, row: string, column: string): Cipher.Location => ({ table, row, column })

/**
 * Secrets, OAuth tokens and key rotation over the stores: values are sealed before they reach SQL and
 * opened only on the explicit reveal paths, each of which is audited. No method logs a value.
 */
export function createVault(
  db: Database,
  stores: VaultStores,
  keys: Keys,
  opts: { logger?: Logger; warnAt?: number; now?: () => number; faultPoint?: string } = {},
) {
  const now = opts.now ?? Date.now
  const warnAt = opts.warnAt ?? NONCE_WARN_AT
  const warned = new Set<string>()

  function seal(at: Cipher.Location, plaintext: Uint8Array, g: Generation = keys.current()) {
    const envelope = Cipher.seal(keys.subKey(g, "secrets"), Buffer.from(g.id, "hex"), plaintext, at)
    const count = stores.keys.countEncryptions(g.id, g.generation, 1, now())
    if (count >= warnAt && !warned.has(g.id)) {
      warned.add(g.id)
      opts.logger?.warn(`master key generation ${g.generation} (${g.id}) has sealed ${count} values; rotate it soon with \`hive secrets rotate-key\``)
    }
    return envelope
  }

  function open(at: Cipher.Location, envelope: Uint8Array, label: string): Uint8Array {
    try {
      return Cipher.open(
        (id) => {
          const g = keys.byId(id)
          return g ? keys.subKey(g, "secrets") : undefined
        },
        envelope,
        at,
      )
    } catch (err) {
      if (!(err instanceof Cipher.CipherError)) throw err
      const why =
        err.kind === "unknown_key"
          ? `it was sealed with master key ${Cipher.keyIdOf(envelope)}, which the loaded key does not contain (wrong key file?)`
          : err.kind === "malformed"
            ? "the stored value is not a hive envelope"
            : "authentication failed (the stored value was altered or moved)"
      // Not a 500 (a bug): the stored value is damaged or from another key, and setting it again is the fix.
      throw new HiveError(409, "secret_corrupted", `${label} cannot be decrypted: ${why}; set it again`, { cause: err })
    }
  }

  /** Overwritten or deleted ciphertext must not survive in the WAL: fold it into the (secure_delete) main file. */
  const scrubWal = () => db.run("PRAGMA wal_checkpoint(TRUNCATE)")

  const secretAt = (name: string) => where("secrets", name, "envelope")
  const oauthAt = (forge: string, column: "access_token" | "refresh_token") => where("operator_oauth_tokens", forge, column)

  /** `hive doctor`'s proof that the key works: decrypts the first stored secret, reveals and audits nothing. */
  function verifyOne(): string | undefined {
    const row = stores.secrets.first()
    if (!row) return undefined
    open(secretAt(row.name), row.envelope, `secret ${row.name}`)
    return row.name
  }

  function secretValue(name: string) {
    const row = stores.secrets.find(name)
    if (!row) throw notFound("secret", name)
    return open(secretAt(name), row.envelope, `secret ${name}`)
  }

  const vault = {
    verifyOne,
    /** After deleting sealed values some other way (purging an agent), fold the WAL so no old ciphertext stays in it. */
    scrub: scrubWal,
    listSecrets(page: PageOptions): Page<SecretMeta> {
      const p = stores.secrets.list(page)
      return { items: p.items.map(sized), next_cursor: p.next_cursor }
    },
    secretMeta(name: string) {
      const m = stores.secrets.meta(name)
      if (!m) throw notFound("secret", name)
      return sized(m)
    },
    putSecret(name: string, value: Uint8Array, actor: string) {
      if (value.byteLength > MAX_SECRET_BYTES) throw new HiveError(413, "payload_too_large", `a secret is at most ${MAX_SECRET_BYTES} bytes`)
      const { meta, replaced } = immediate(db, () => {
        const replaced = stores.secrets.find(name) !== undefined
        const meta = sized(stores.secrets.put(name, seal(secretAt(name), value), keys.current().id, now()))
        stores.audit.append("set", `secret:${name}`, actor, { replaced }, now())
        return { meta, replaced }
      })
      if (replaced) scrubWal()
      return meta
    },
    /**
     * A random secret hive keeps for itself (the tunnel's identity): made on first use, then read back
     * without an audit entry on each start. It is listed like any secret; deleting it makes a new one.
     */
    ownSecret(name: string, bytes = 32): Uint8Array {
      // Read without the write lock (every `hive serve --tunnel` and `hive pair` asks); make it under the lock.
      const stored = stores.secrets.find(name)
      if (stored) return open(secretAt(name), stored.envelope, `secret ${name}`)
      return immediate(db, () => {
        const row = stores.secrets.find(name)
        if (row) return open(secretAt(name), row.envelope, `secret ${name}`)
        const value = crypto.getRandomValues(new Uint8Array(bytes))
        stores.secrets.put(name, seal(secretAt(name), value), keys.current().id, now())
        stores.audit.append("set", `secret:${name}`, "hive", { generated: true }, now())
        return value
      })
    },
    /** The one way to read a secret's value; audited. */
    revealSecret(name: string, actor: string): Uint8Array {
      const value = secretValue(name)
      stores.audit.append("reveal", `secret:${name}`, actor, {}, now())
      return value
    },
    deleteSecret(name: string, actor: string) {
      immediate(db, () => {
        if (!stores.secrets.remove(name)) throw notFound("secret", name)
        stores.audit.append("delete", `secret:${name}`, actor, {}, now())
      })
      scrubWal()
    },
    materialize(name: string, path: string, actor: string, to: Destination = {}) {
      writeSecretFile(path, secretValue(name), to)
      stores.audit.append("materialize", `secret:${name}`, actor, { path }, now())
      return { name, path }
    },
    /** One file per secret under a prefix: `agent_token:alice` -> DIR/alice. */
    materializePrefix(prefix: string, dir: string, actor: string, to: Destination = {}) {
      if (!prefix) throw badRequest("a prefix is required")
      ensureSecretDir(dir, to)
      const written: { name: string; path: string }[] = []
      const skipped: { name: string; reason: string }[] = []
      for (const row of stores.secrets.withPrefix(prefix)) {
        const file = safeFileName(row.name.slice(prefix.length))
        if (!file) {
          skipped.push({ name: row.name, reason: "the rest of its name is not a plain file name" })
          continue
        }
        written.push(vault.materialize(row.name, join(dir, file), actor, to))
      }
      return { written, skipped }
    },

    listOAuth: stores.oauth.list,
    oauthMeta(forge: string) {
      const row = stores.oauth.find(forge)
      if (!row) throw notFound("oauth token for", forge)
      return stores.oauth.meta(row)
    },
    putOAuth(forge: string, input: OAuthInput, actor: string) {
      const { meta, replaced } = immediate(db, () => {
        const replaced = stores.oauth.find(forge) !== undefined
        const access = seal(oauthAt(forge, "access_token"), encoder.encode(input.access_token))
        const refresh = input.refresh_token ? seal(oauthAt(forge, "refresh_token"), encoder.encode(input.refresh_token)) : null
        const fields = { expires_at: input.expires_at ?? null, scope: input.scope ?? null, account: input.account ?? null }
        const meta = stores.oauth.put(forge, access, refresh, keys.current().id, fields, now())
        stores.audit.append("set", `oauth:${forge}`, actor, { replaced }, now())
        return { meta, replaced }
      })
      if (replaced) scrubWal()
      return meta
    },
    revealOAuth(forge: string, actor: string) {
      const row = stores.oauth.find(forge)
      if (!row) throw notFound("oauth token for", forge)
      const label = `the ${forge} oauth token`
      const tokens = {
        access_token: decoder.decode(open(oauthAt(forge, "access_token"), row.access_token, label)),
        refresh_token: row.refresh_token ? decoder.decode(open(oauthAt(forge, "refresh_token"), row.refresh_token, label)) : null,
      }
      stores.audit.append("reveal", `oauth:${forge}`, actor, {}, now())
      return { ...stores.oauth.meta(row), ...tokens }
    },
    deleteOAuth(forge: string, actor: string) {
      immediate(db, () => {
        if (!stores.oauth.remove(forge)) throw notFound("oauth token for", forge)
        stores.audit.append("delete", `oauth:${forge}`, actor, {}, now())
      })
      scrubWal()
    },

    // For import migrations (they run inside the migration's transaction, so no scrubbing here):
    // store a legacy value only where nothing is yet, and compare without revealing.
    importSecret(name: string, value: Uint8Array): "inserted" | "same" | "conflict" {
      const present = vault.compareSecret(name, value)
      if (present !== "absent") return present === "same" ? "same" : "conflict"
      stores.secrets.put(name, seal(secretAt(name), value), keys.current().id, now())
      stores.audit.append("set", `secret:${name}`, "migrate", { imported: true }, now())
      return "inserted"
    },
    compareSecret(name: string, value: Uint8Array): "same" | "different" | "absent" {
      const row = stores.secrets.find(name)
      if (!row) return "absent"
      return Buffer.from(open(secretAt(name), row.envelope, `secret ${name}`)).equals(Buffer.from(value)) ? "same" : "different"
    },
    importOAuth(forge: string, input: Required<OAuthInput>): "inserted" | "same" | "conflict" {
      const present = vault.compareOAuth(forge, input)
      if (present !== "absent") return present === "same" ? "same" : "conflict"
      const access = seal(oauthAt(forge, "access_token"), encoder.encode(input.access_token))
      const refresh = input.refresh_token ? seal(oauthAt(forge, "refresh_token"), encoder.encode(input.refresh_token)) : null
      stores.oauth.put(forge, access, refresh, keys.current().id, { expires_at: input.expires_at, scope: input.scope, account: input.account }, now())
      stores.audit.append("set", `oauth:${forge}`, "migrate", { imported: true }, now())
      return "inserted"
    },
    compareOAuth(forge: string, input: Required<OAuthInput>): "same" | "different" | "absent" {
      const row = stores.oauth.find(forge)
      if (!row) return "absent"
      const label = `the ${forge} oauth token`
      const access = decoder.decode(open(oauthAt(forge, "access_token"), row.access_token, label))
      const refresh = row.refresh_token ? decoder.decode(open(oauthAt(forge, "refresh_token"), row.refresh_token, label)) : null
      return access === input.access_token && refresh === (input.refresh_token || null) ? "same" : "different"
    },

    /**
     * Makes a new key generation, re-seals every encrypted value under it in one transaction, and only
     * then retires generations nothing references. Interrupted anywhere, nothing is lost: the key file
     * keeps the old generation until the re-seal has committed, and the next run finishes the job
     * (values still under an older generation mean a rotation was cut short; it resumes, adding no key).
     */
    rotate(actor: string): RotationReport {
      const current = keys.current()
      const unfinished = stores.secrets.sealedWithOther(current.id).length + stores.oauth.sealedWithOther(current.id).length > 0
      if (!unfinished) keys.replace(addGeneration(keys.ring()))
      crash("rotate:after-keyfile")
      const to = keys.current()
      const resealed = immediate(db, () => {
        let n = 0
        for (const row of stores.secrets.sealedWithOther(to.id)) {
          const at = secretAt(row.name)
          stores.secrets.reseal(row.name, seal(at, open(at, row.envelope, `secret ${row.name}`), to), to.id)
          n++
        }
        for (const row of stores.oauth.sealedWithOther(to.id)) {
          const label = `the ${row.forge} oauth token`
          const access = seal(oauthAt(row.forge, "access_token"), open(oauthAt(row.forge, "access_token"), row.access_token, label), to)
          const refresh = row.refresh_token
            ? seal(oauthAt(row.forge, "refresh_token"), open(oauthAt(row.forge, "refresh_token"), row.refresh_token, label), to)
            : null
          stores.oauth.reseal(row.forge, access, refresh, to.id)
          n++
        }
        stores.audit.append("rotate", "master-key", actor, { to: to.id, generation: to.generation, resealed: n, resumed: unfinished }, now())
        crash("rotate:before-commit")
        return n
      })
      crash("rotate:after-commit")
      scrubWal()
      const refs = stores.keys.references(now())
      const { ring, retired } = retireUnused(keys.ring(), new Set(refs.keys()))
      keys.replace(ring)
      const kept = ring.generations
        .filter((g) => g !== ring.current)
        .map((g) => ({
          id: g.id,
          because: Object.entries(refs.get(g.id) ?? {})
            .map(([what, n]) => `${n} ${what}`)
            .join(", "),
        }))
      return { resumed: unfinished, to: to.id, generation: to.generation, resealed, retired: retired.map((g) => g.id), kept }
    },
  }

  function crash(point: string) {
    if (opts.faultPoint === point) process.kill(process.pid, "SIGKILL")
  }

  return vault
}

export type Vault = ReturnType<typeof createVault>
