import type { SecretSink } from "../db/migrate"
import { openTokens, type OAuthInput } from "./oauth"
import { oauthAt, type Sealer, secretAt } from "./sealer"

const encoder = new TextEncoder()

/**
 * How import migrations store the older tools' credentials. They run inside the migration's transaction (so
 * no WAL scrubbing here): a legacy value is stored only where nothing is yet, and compared without revealing.
 */
export class ImportSink implements SecretSink {
  constructor(readonly sealer: Sealer) {}

  importSecret(name: string, value: Uint8Array): "inserted" | "same" | "conflict" {
    const present = this.compareSecret(name, value)
    if (present !== "absent") return present === "same" ? "same" : "conflict"
    const { stores, keys, now } = this.sealer
    stores.secrets.put(name, this.sealer.seal(secretAt(name), value), keys.current().id, now())
    stores.audit.append("set", `secret:${name}`, "migrate", { imported: true }, now())
    return "inserted"
  }

  compareSecret(name: string, value: Uint8Array): "same" | "different" | "absent" {
    const row = this.sealer.stores.secrets.find(name)
    if (!row) return "absent"
    return Buffer.from(this.sealer.open(secretAt(name), row.envelope, `secret ${name}`)).equals(Buffer.from(value)) ? "same" : "different"
  }

  importOAuth(forge: string, input: Required<OAuthInput>): "inserted" | "same" | "conflict" {
    const present = this.compareOAuth(forge, input)
    if (present !== "absent") return present === "same" ? "same" : "conflict"
    const { stores, keys, now } = this.sealer
    const access = this.sealer.seal(oauthAt(forge, "access_token"), encoder.encode(input.access_token))
    const refresh = input.refresh_token ? this.sealer.seal(oauthAt(forge, "refresh_token"), encoder.encode(input.refresh_token)) : null
    stores.oauth.put(forge, access, refresh, keys.current().id, { expires_at: input.expires_at, scope: input.scope, account: input.account }, now())
    stores.audit.append("set", `oauth:${forge}`, "migrate", { imported: true }, now())
    return "inserted"
  }

  compareOAuth(forge: string, input: Required<OAuthInput>): "same" | "different" | "absent" {
    const row = this.sealer.stores.oauth.find(forge)
    if (!row) return "absent"
    const { access_token, refresh_token } = openTokens(this.sealer, row)
    return access_token === input.access_token && refresh_token === (input.refresh_token || null) ? "same" : "different"
  }
}
