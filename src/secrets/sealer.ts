import type { Database } from "bun:sqlite"
import type { Stores } from "../db/stores"
import { HiveError } from "../errors"
import type { Logger } from "../log"
import * as Cipher from "./cipher"
import type { Generation } from "./keyring"
import type { Keys } from "./keys"

/** Random 96-bit nonces are safe for about 2^32 encryptions under one key; warn at a quarter of that. */
export const NONCE_WARN_AT = 2 ** 30

export type SealerOptions = { logger?: Logger; warnAt?: number; now?: () => number; faultPoint?: string }

/** Where a sealed value lives: the additional data that binds it to its table, row and column. */
export const secretAt = (name: string): Cipher.Location => ({ table: "secrets", row: name, column: "envelope" })
export const oauthAt = (forge: string, column: "access_token" | "refresh_token"): Cipher.Location => ({ table: "operator_oauth_tokens", row: forge, column })

/**
 * What every job that touches sealed values shares (secrets, OAuth tokens, the import sink, key rotation):
 * sealing under the current key generation with the encryption count kept, opening with the generation an
 * envelope names, and folding the WAL so replaced ciphertext does not linger. No method logs a value.
 */
export class Sealer {
  readonly now: () => number
  readonly #warnAt: number
  readonly #warned = new Set<string>()

  constructor(
    readonly db: Database,
    readonly stores: Pick<Stores, "secrets" | "oauth" | "audit" | "keys">,
    readonly keys: Keys,
    readonly opts: SealerOptions = {},
  ) {
    this.now = opts.now ?? Date.now
    this.#warnAt = opts.warnAt ?? NONCE_WARN_AT
  }

  seal(at: Cipher.Location, plaintext: Uint8Array, g: Generation = this.keys.current()): Uint8Array {
    const envelope = Cipher.seal(this.keys.subKey(g, "secrets"), Buffer.from(g.id, "hex"), plaintext, at)
    const count = this.stores.keys.countEncryptions(g.id, g.generation, 1, this.now())
    if (count >= this.#warnAt && !this.#warned.has(g.id)) {
      this.#warned.add(g.id)
      this.opts.logger?.warn(`master key generation ${g.generation} (${g.id}) has sealed ${count} values; rotate it soon with \`hive secrets rotate-key\``)
    }
    return envelope
  }

  open(at: Cipher.Location, envelope: Uint8Array, label: string): Uint8Array {
    try {
      return Cipher.open(
        (id) => {
          const g = this.keys.byId(id)
          return g ? this.keys.subKey(g, "secrets") : undefined
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
  scrubWal() {
    this.db.run("PRAGMA wal_checkpoint(TRUNCATE)")
  }

  /** Test-only crash points (HIVE_TEST_FAULT). */
  crash(point: string) {
    if (this.opts.faultPoint === point) process.kill(process.pid, "SIGKILL")
  }
}
