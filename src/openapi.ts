import type { AnyElysia } from "elysia"

/**
 * The OpenAPI document of the admin app, from the same schemas that validate its requests. Built on the
 * first GET /openapi: the generator is loaded then, so a server nobody asks for its schema never pays for it.
 */
export async function openApiDocument(app: AnyElysia, version: string) {
  const { toOpenAPISchema } = await import("@elysiajs/openapi/openapi")
  // staticFile: false, or a path with a dot (/api/pairing/:id/qr.svg) is left out of the document.
  const { paths, components } = toOpenAPISchema(app, { staticFile: false }, undefined, undefined, "3.1.2")
  return {
    openapi: "3.1.2",
    info: { title: "hive", version, description: "Local state server for a fleet of AI coding agents." },
    paths,
    components: { schemas: components.schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    security: [{ bearer: [] }],
  }
}
