/**
 * Every kind of error the API answers, with its status: one closed set, so a client can switch on `code`, and
 * the OpenAPI documents list exactly these (test/errors.test.ts holds each `new HiveError` to its status).
 */
export const ERROR_KINDS = {
  bad_request: 400,
  bad_schedule: 400,
  unauthorized: 401,
  wrong_pairing_proof: 401,
  // A phone's change without a valid signature of the key it paired with (src/auth/signatures.ts).
  signature_required: 401,
  bad_signature: 401,
  signature_expired: 401,
  replayed: 401,
  forbidden: 403,
  forbidden_host: 403,
  forbidden_path: 403,
  cross_origin: 403,
  pairing_closed: 403,
  not_found: 404,
  conflict: 409,
  secret_corrupted: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  internal: 500,
  database_corrupt: 500,
  busy: 503,
  read_only: 503,
  unavailable: 503,
  too_many_streams: 503,
  insufficient_storage: 507,
} as const

export type ErrorKind = keyof typeof ERROR_KINDS

/** The one error type that crosses module boundaries; `onError` turns it into `{ error: { code, message } }`. */
export class HiveError extends Error {
  // Named `kind`, not `code`: Elysia copies an error's `code` into onError's `code`.
  constructor(
    readonly status: (typeof ERROR_KINDS)[ErrorKind],
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions,
    /** Headers the answer carries besides (a 503's Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message, options)
  }
  toJSON() {
    return { error: { code: this.kind, message: this.message } }
  }
}

export const badRequest = (message: string, options?: ErrorOptions) => new HiveError(400, "bad_request", message, options)
export const unauthorized = (message: string) => new HiveError(401, "unauthorized", message)
export const forbidden = (message: string) => new HiveError(403, "forbidden", message)
export const notFound = (what: string, id: string | number) => new HiveError(404, "not_found", `${what} ${id} not found`)
export const conflict = (message: string) => new HiveError(409, "conflict", message)
export const tooLarge = (limit: number) => new HiveError(413, "payload_too_large", `request body exceeds the limit of ${limit} bytes`)

/** A CLI usage mistake: one line on stderr and exit code 2. */
export class UsageError extends Error {}

type SqliteLike = { code?: unknown; errno?: unknown }

/** bun:sqlite's error code (e.g. "SQLITE_CONSTRAINT_UNIQUE"), or undefined for other errors. */
export function sqliteCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== "SQLiteError") return undefined
  const code = (err as SqliteLike).code
  return typeof code === "string" ? code : undefined
}

/** Storage conditions that are not the caller's fault but have a meaning a client can act on. */
export function fromStorageError(err: unknown): HiveError | undefined {
  const code = sqliteCode(err)
  if (!code) return undefined
  if (code.startsWith("SQLITE_FULL")) return new HiveError(507, "insufficient_storage", "the disk holding the database is full", { cause: err })
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return new HiveError(503, "busy", "the database is busy; retry shortly", { cause: err })
  if (code.startsWith("SQLITE_READONLY")) return new HiveError(503, "read_only", "the database is read-only", { cause: err })
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB"))
    return new HiveError(500, "database_corrupt", "the database file is damaged; run `hive doctor`", { cause: err })
  return undefined
}

/** A CLI command cannot do its job for a reason the user can fix: the message, and exit code 1. */
export class FatalError extends Error {}
