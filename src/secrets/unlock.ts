import type { Config } from "../config"
import type { Stores } from "../db/stores"
import type { Logger } from "../log"
import { KeyError, loadKeyring, type Keyring } from "./keyring"
import { createKeys } from "./keys"

/**
 * Loads the master key for a database and proves it is the right one before anything is decrypted:
 * every key id that encrypted values or live tokens name must be in the keyring. A new key is created
 * only for a database that depends on none.
 */
export function unlock(config: Pick<Config, "masterKey">, stores: Pick<Stores, "keys" | "tokens">, logger?: Logger) {
  const refs = stores.keys.references()
  const dependsOnKey = refs.size > 0 || stores.tokens.anyIssued()
  const ring = loadKeyring(config.masterKey, {
    mayCreate: !dependsOnKey,
    whyNeeded: "this database holds values encrypted or tokens signed with one",
  })
  const missing = [...refs.keys()].filter((id) => !ring.byId(id))
  const what = missing
    .map(
      (id) =>
        `${id} (${Object.entries(refs.get(id)!)
          .map(([w, n]) => `${n} ${w}`)
          .join(", ")})`,
    )
    .join("; ")
  // The key is this database's when it sealed or signed anything the database still holds or counted. Then a
  // missing id is a damaged or foreign row, not a wrong key: it must not lock the operator out of every
  // command, `hive secrets rm` included. Reading such a value answers secret_corrupted.
  const ours = [...refs.keys(), ...stores.keys.usage().map((u) => u.key_id)].some((id) => ring.byId(id))
  if (missing.length && ours)
    logger?.warn(`some rows name master key ids this key does not hold: ${what}. They cannot be decrypted; delete or set them again (hive doctor lists them)`)
  else if (missing.length) {
    throw new KeyError(
      `the master key from ${ring.source} is not the one this database needs: it has key ${ring.generations.map((g) => g.id).join(", ")}, ` +
        `but values were sealed with ${what}. Restore the key file that was in use (or set HIVE_MASTER_KEY to it).`,
    )
  }
  // Tokens issued before key ids were recorded were signed by the only generation there was: the oldest.
  stores.keys.adoptUnlabelledTokens(oldest(ring).id)
  if (ring.created) logger?.info(`created a new master key at ${ring.source}; back it up, it is not part of ~/.hive backups`)
  return createKeys(ring, config.masterKey, logger)
}

const oldest = (ring: Keyring) => ring.generations[ring.generations.length - 1]!

/** Whether anything in the database needs the master key (so `hive migrate` must check it). */
export const needsKey = (stores: Pick<Stores, "keys" | "tokens">) => stores.keys.references().size > 0 || stores.tokens.anyIssued()
