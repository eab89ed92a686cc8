import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { statSync } from "node:fs"
import { parseRange } from "../artifacts/blobs"
import { listBackups } from "../db/backup"
import { databaseByKindOffThread } from "../db/usage"
import { HiveError } from "../errors"
import { Id, Page } from "./schemas"

const UPLOAD = /^[a-z]+:\/\/[^/]+\/api\/sessions\/[^/?]+\/artifacts\/?(\?|$)/
/** The one route whose body is a file, not JSON: it gets the artifact size limit and is streamed, never parsed. */
export const isUpload = (request: Request) => request.method === "POST" && UPLOAD.test(request.url)

const TYPE = "^[a-z0-9][a-z0-9_-]{0,63}$"
const UploadQuery = t.Object({
  type: t.String({ pattern: TYPE, error: 'query field "type": 1 to 64 of a-z 0-9 _ - (e.g. log, diff, bundle)' }),
  // No control characters: a name travels in a Content-Disposition header and a terminal listing.
  name: t.Optional(
    t.String({
      minLength: 1,
      maxLength: 255,
      pattern: "^[^\\u0000-\\u001f\\u007f]+$",
      error: 'query field "name": 1 to 255 characters, no control characters (NUL, CR, LF…)',
    }),
  ),
})

/** Types a browser shows without running anything; every other artifact is served as a download. */
const INLINE = /^(text\/plain|application\/json|image\/(png|jpeg|gif|webp))(;|$)/i

/**
 * What an artifact is served with: whatever an agent uploaded (text/html, an SVG with a script) must never
 * run as a page of this origin, so the browser is told not to sniff, to sandbox it, and to download it unless
 * its type is one that cannot run.
 */
function servedHeaders(a: { content_type: string; name: string | null; id: string; sha256: string }): Record<string, string> {
  const name = a.name ?? a.id
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_")
  return {
    "content-type": a.content_type,
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
    "content-disposition": `${INLINE.test(a.content_type) ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    "accept-ranges": "bytes",
    etag: `"${a.sha256}"`,
  }
}

const fileSize = (path: string) => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

export const artifacts = ({
  stores: { artifacts: store },
  blobs,
  commit,
  config: { maxArtifactBytes: limit, dbPath, backupsDir },
}: Pick<Hive, "stores" | "blobs" | "commit" | "config">) =>
  new Elysia({ name: "routes.artifacts", detail: { tags: ["artifacts"] } })
    .post(
      "/sessions/:id/artifacts",
      async ({ params, query, request, status }) => {
        const session = params.id
        // A session that does not exist is refused before a byte is written.
        store.requireSession(session)
        const contentType = (request.headers.get("content-type") ?? "application/octet-stream").slice(0, 200)
        const row = await blobs.store(request.body, limit, { session, type: query.type, contentType }, (placed) =>
          commit.run(() => store.add({ session_id: session, type: query.type, name: query.name ?? null, content_type: contentType, ...placed })),
        )
        return status(201, row)
      },
      {
        params: Id,
        query: UploadQuery,
        detail: {
          description: `The request body is the file, streamed to disk (Content-Type is recorded and served back). Text is stored gzip-compressed; the same content in the same session and type is stored once.`,
        },
      },
    )
    .get("/sessions/:id/artifacts", ({ params, query }) => store.list(params.id, query), {
      params: Id,
      query: t.Object(Page),
      detail: { summary: "List a session's artifacts" },
    })
    .get("/artifacts/:id/meta", ({ params }) => store.get(params.id), { params: Id, detail: { summary: "Get an artifact's row, without its content" } })
    .get(
      "/artifacts/:id",
      ({ params, request }) => {
        const a = store.get(params.id)
        if (!blobs.exists(a.path)) throw new HiveError(410, "gone", `the file of artifact ${a.id} is missing from disk; run \`hive doctor\``)
        const headers = servedHeaders(a)
        const range = parseRange(request.headers.get("range"), a.size)
        if (range === null) return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${a.size}` } })
        if (!range) return new Response(blobs.read(a), { headers: { ...headers, "content-length": String(a.size) } })
        return new Response(blobs.read(a, range), {
          status: 206,
          headers: { ...headers, "content-range": `bytes ${range.start}-${range.end}/${a.size}`, "content-length": String(range.end - range.start + 1) },
        })
      },
      {
        params: Id,
        detail: {
          description:
            "The artifact's content with its Content-Type, never sniffed or run (nosniff, a sandbox CSP; a download unless plain text, JSON or an image); honours a single `Range: bytes=` (206, or 416 when unsatisfiable).",
        },
      },
    )
    .delete(
      "/artifacts/:id",
      async ({ params, status }) => {
        const orphan = await commit.run(() => store.remove(params.id))
        if (orphan) await blobs.release(orphan, () => store.isReferenced(orphan))
        return status(204)
      },
      { params: Id },
    )
    .get(
      "/storage",
      async () => {
        const files = blobs.files()
        const database = fileSize(dbPath) + fileSize(`${dbPath}-wal`) + fileSize(`${dbPath}-shm`)
        const artifactBytes = files.reduce((n, f) => n + f.bytes, 0)
        const backups = listBackups(backupsDir).reduce((n, b) => n + b.bytes, 0)
        return {
          total_bytes: database + artifactBytes + backups,
          by_kind: { database, artifacts: artifactBytes, backups },
          database_by_kind: await databaseByKindOffThread(dbPath),
          sessions: store.usageBySession(),
        }
      },
      {
        detail: {
          summary: "Bytes used: in total, by kind and per session",
          description:
            "`database_by_kind` splits hive.db by what its pages hold (SQLite's own accounting, counted off the server's thread): events, the transcript index, the other search indexes, sessions, the broker, the rest, and `free` pages (a prune frees pages; the reclaim job gives them back to the disk).",
        },
      },
    )
