import type { Registered } from "../src/db/migrate"
import { migrationId } from "../src/db/migrate"
import { sourceChecksum } from "./source-checksum" with { type: "macro" }
import core from "./001_core"
import apiTokens from "./002_api_tokens"
import secrets from "./003_secrets"

// The explicit, ordered list: `bun build --compile` embeds exactly what is imported here.
// A migration that shipped is never edited; add a new file and a new line instead.
const list = [
  { ...core, version: 1, checksum: sourceChecksum("001_core.ts") },
  { ...apiTokens, version: 2, checksum: sourceChecksum("002_api_tokens.ts") },
  { ...secrets, version: 3, checksum: sourceChecksum("003_secrets.ts") },
]

export const migrations: readonly Registered[] = list.map((m) => ({ ...m, id: migrationId(m.version, m.name) }))
