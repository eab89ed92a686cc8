import { readFileSync } from "node:fs"
import { join } from "node:path"

/**
 * A Bun macro (imported `with { type: "macro" }`): runs at bundle time and inlines the SHA-256 of a
 * migration's source. `bun run` and the compiled binary therefore record the same checksum, which
 * hashing `up.toString()` would not (the binary is minified) and a text import cannot give either
 * (Bun's bundler dedupes a file imported both as code and as text).
 */
export function sourceChecksum(file: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(join(import.meta.dir, file))).digest("hex")
}
