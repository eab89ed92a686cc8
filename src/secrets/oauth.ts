import type { PageOptions } from "../db/entity"
import { immediate } from "../db/tx"
import { notFound } from "../errors"
import { oauthAt, type Sealer } from "./sealer"

export type OAuthInput = { access_token: string; refresh_token?: string | null; expires_at?: number | null; scope?: string | null; account?: string | null }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The operator's OAuth tokens per forge, sealed like secrets; lists carry metadata, `reveal` is audited. */
export class OAuthTokens {
  constructor(readonly sealer: Sealer) {}

  get #stores() {
    return this.sealer.stores
  }

  list(page: PageOptions = {}) {
    return this.#stores.oauth.list(page)
  }

  meta(forge: string) {
    const row = this.#stores.oauth.find(forge)
    if (!row) throw notFound("oauth token for", forge)
    return this.#stores.oauth.meta(row)
  }

  put(forge: string, input: OAuthInput, actor: string) {
    const sealer = this.sealer
    const { stores } = sealer
    const { meta, replaced } = immediate(sealer.db, () => {
      const replaced = stores.oauth.find(forge) !== undefined
      const access = sealer.seal(oauthAt(forge, "access_token"), encoder.encode(input.access_token))
      const refresh = input.refresh_token ? sealer.seal(oauthAt(forge, "refresh_token"), encoder.encode(input.refresh_token)) : null
      const fields = { expires_at: input.expires_at ?? null, scope: input.scope ?? null, account: input.account ?? null }
      const meta = stores.oauth.put(forge, access, refresh, sealer.keys.current().id, fields, sealer.now())
      stores.audit.append("set", `oauth:${forge}`, actor, { replaced }, sealer.now())
      return { meta, replaced }
    })
    if (replaced) sealer.scrubWal()
    return meta
  }

  /** Both tokens in plaintext; audited. */
  reveal(forge: string, actor: string) {
    const row = this.#stores.oauth.find(forge)
    if (!row) throw notFound("oauth token for", forge)
    const tokens = openTokens(this.sealer, row)
    this.#stores.audit.append("reveal", `oauth:${forge}`, actor, {}, this.sealer.now())
    return { ...this.#stores.oauth.meta(row), ...tokens }
  }

  delete(forge: string, actor: string) {
    immediate(this.sealer.db, () => {
      if (!this.#stores.oauth.remove(forge)) throw notFound("oauth token for", forge)
      this.#stores.audit.append("delete", `oauth:${forge}`, actor, {}, this.sealer.now())
    })
    this.sealer.scrubWal()
  }
}

/** A row's two tokens, opened (not audited: the caller's job). */
export function openTokens(sealer: Sealer, row: { forge: string; access_token: Uint8Array; refresh_token: Uint8Array | null }) {
  const label = `the ${row.forge} oauth token`
  return {
    access_token: decoder.decode(sealer.open(oauthAt(row.forge, "access_token"), row.access_token, label)),
    refresh_token: row.refresh_token ? decoder.decode(sealer.open(oauthAt(row.forge, "refresh_token"), row.refresh_token, label)) : null,
  }
}
