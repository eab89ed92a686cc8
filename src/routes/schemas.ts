import { t, type TSchema } from "elysia"
import { Type, type TUnsafe } from "@sinclair/typebox"

/** Request bodies reject unknown fields: a typo in a field name is an error, not silently ignored data. */
export const Body = <T extends Record<string, TSchema>>(props: T) => t.Object(props, { additionalProperties: false })
export const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()])

/**
 * A closed set of strings. Not `t.UnionEnum`: that one carries `default: values[0]`, which Elysia
 * applies, so an omitted optional field would silently be stored as the first value.
 */
export const OneOf = <const V extends string>(values: readonly V[], options: { error?: string } = {}) =>
  t.Union(
    values.map((v) => t.Literal(v)),
    { description: `one of: ${values.join(", ")}`, ...options },
  ) as unknown as TUnsafe<V>

export const Id = t.Object({ id: t.String({ minLength: 1, maxLength: 128 }) })
export const Json = t.Record(t.String(), t.Unknown())
export const Text = (maxLength: number, minLength = 0) => t.String({ minLength, maxLength })
/**
 * A whole number in a JSON body. TypeBox's own integer, not Elysia's `t.Integer`: that one carries a
 * transform (it coerces numeric strings, which query strings need), and any transform in a body schema
 * makes Elysia Decode the whole body after checking it (~15% of a 500-event batch). A JSON body says
 * what it means: "5" is not 5.
 */
/**
 * Every whole number has a range: at most what JavaScript counts exactly (2^53 - 1), so a larger one is a 400
 * instead of SQLite's "cannot store REAL value in INTEGER column" or a silently rounded value.
 */
export const Int = (options: { minimum?: number; maximum?: number; description?: string } = {}) =>
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...options })
/** The last millisecond a JavaScript Date can hold (year 275760): a time past it means nothing. */
export const MAX_MILLIS = 8.64e15
export const Millis = Int({ minimum: 0, maximum: MAX_MILLIS })
/** A process id (Linux caps them at 2^22; every system at 2^31 - 1). */
export const Pid = (minimum: number) => Int({ minimum, maximum: 2 ** 31 - 1 })

// Elysia coerces query values one by one and loses the field name on failure, so each query schema
// carries its own message that names its field.
export const Query = {
  int: (name: string, minimum = 0) =>
    t.Integer({
      minimum,
      maximum: Number.MAX_SAFE_INTEGER,
      error: `query field "${name}": must be a whole number from ${minimum} to ${Number.MAX_SAFE_INTEGER}`,
    }),
  bool: (name: string) => t.Boolean({ error: `query field "${name}": must be true or false` }),
  text: (name: string, maxLength: number) => t.String({ minLength: 1, maxLength, error: `query field "${name}": must be 1 to ${maxLength} characters` }),
  oneOf: <const V extends string>(name: string, values: readonly V[]) => OneOf(values, { error: `query field "${name}": must be one of ${values.join(", ")}` }),
}

/** The id-keyed lists (projects, sessions, worktrees) also sort newest first and count what the filters match. */
export const Listing = {
  order: t.Optional(OneOf(["asc", "desc"], { error: 'query field "order": must be asc (oldest first, the default) or desc (newest first)' })),
  count: t.Optional(t.Boolean({ error: 'query field "count": must be true or false' })),
}

/** `?limit=&cursor=`; a limit above the cap (and up to 2^53 - 1) is lowered to it. */
export const Page = {
  limit: t.Optional(Query.int("limit", 1)),
  cursor: t.Optional(Query.text("cursor", 128)),
}
