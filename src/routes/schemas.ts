import { t, type TSchema } from "elysia"

/** Request bodies reject unknown fields: a typo in a field name is an error, not silently ignored data. */
export const Body = <T extends Record<string, TSchema>>(props: T) => t.Object(props, { additionalProperties: false })
export const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()])

export const Id = t.Object({ id: t.String({ minLength: 1, maxLength: 128 }) })
export const Json = t.Record(t.String(), t.Unknown())
export const Text = (maxLength: number, minLength = 0) => t.String({ minLength, maxLength })
export const Millis = t.Integer({ minimum: 0 })

/** `?limit=&cursor=`; a limit above the cap is lowered to it, never an error. */
export const Page = {
  limit: t.Optional(t.Integer({ minimum: 1, description: "page size; capped at 500" })),
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 128, description: "next_cursor of the previous page" })),
}
