import { immediate } from "../db/tx"
import { addGeneration, retireUnused } from "./keyring"
import { oauthAt, type Sealer, secretAt } from "./sealer"

export type RotationReport = { resumed: boolean; to: string; generation: number; resealed: number; retired: string[]; kept: { id: string; because: string }[] }

/**
 * Makes a new key generation, re-seals every encrypted value under it in one transaction, and only
 * then retires generations nothing references. Interrupted anywhere, nothing is lost: the key file
 * keeps the old generation until the re-seal has committed, and the next run finishes the job
 * (values still under an older generation mean a rotation was cut short; it resumes, adding no key).
 */
export function rotateMasterKey(sealer: Sealer, actor: string): RotationReport {
  const current = sealer.keys.current()
  const unfinished = sealer.stores.secrets.sealedWithOther(current.id).length + sealer.stores.oauth.sealedWithOther(current.id).length > 0
  if (!unfinished) sealer.keys.replace(addGeneration(sealer.keys.ring()))
  sealer.crash("rotate:after-keyfile")
  const to = sealer.keys.current()
  const resealed = immediate(sealer.db, () => {
    let n = 0
    for (const row of sealer.stores.secrets.sealedWithOther(to.id)) {
      const at = secretAt(row.name)
      sealer.stores.secrets.reseal(row.name, sealer.seal(at, sealer.open(at, row.envelope, `secret ${row.name}`), to), to.id)
      n++
    }
    for (const row of sealer.stores.oauth.sealedWithOther(to.id)) {
      const label = `the ${row.forge} oauth token`
      const access = sealer.seal(oauthAt(row.forge, "access_token"), sealer.open(oauthAt(row.forge, "access_token"), row.access_token, label), to)
      const refresh = row.refresh_token
        ? sealer.seal(oauthAt(row.forge, "refresh_token"), sealer.open(oauthAt(row.forge, "refresh_token"), row.refresh_token, label), to)
        : null
      sealer.stores.oauth.reseal(row.forge, access, refresh, to.id)
      n++
    }
    sealer.stores.audit.append("rotate", "master-key", actor, { to: to.id, generation: to.generation, resealed: n, resumed: unfinished }, sealer.now())
    sealer.crash("rotate:before-commit")
    return n
  })
  sealer.crash("rotate:after-commit")
  sealer.scrubWal()
  const refs = sealer.stores.keys.references(sealer.now())
  const { ring, retired } = retireUnused(sealer.keys.ring(), new Set(refs.keys()))
  sealer.keys.replace(ring)
  const kept = ring.generations
    .filter((g) => g !== ring.current)
    .map((g) => ({
      id: g.id,
      because: Object.entries(refs.get(g.id) ?? {})
        .map(([what, n]) => `${n} ${what}`)
        .join(", "),
    }))
  return { resumed: unfinished, to: to.id, generation: to.generation, resealed, retired: retired.map((g) => g.id), kept }
}
