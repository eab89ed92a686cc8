import { Elysia, t } from "elysia"
import type { Hive } from "../hive"
import { closeSync, openSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"
import { badRequest, HiveError, tooLarge } from "../errors"
import { runCli, spawnCli } from "./cli-child"
import { Query } from "./schemas"

const IMPORT = /^[a-z]+:\/\/[^/]+\/api\/import\/?(\?|$)/
/** An import's body is an export file, streamed to disk by its route: never parsed as JSON by the guard. */
export const isImport = (request: Request) => request.method === "POST" && IMPORT.test(request.url)

/** What the import under way last said of itself (hive import --progress), in the shape a job's progress has. */
type ImportProgress = { done: number; fraction: number | null; phase: string | null; updated_at: number }

/** Reads `hive import --progress` lines from stderr as they come, keeping the rest of stderr for its error. */
async function followProgress(stderr: ReadableStream<Uint8Array>, onProgress: (p: ImportProgress) => void): Promise<string> {
  const decoder = new TextDecoder()
  let pending = ""
  let rest = ""
  for await (const chunk of stderr as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true })
    let at: number
    while ((at = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, at)
      pending = pending.slice(at + 1)
      try {
        const { progress: p } = JSON.parse(line) as { progress?: { phase?: string; done?: number; fraction?: number } }
        if (p && typeof p.done === "number") {
          onProgress({ done: p.done, fraction: typeof p.fraction === "number" ? p.fraction : null, phase: p.phase ?? null, updated_at: Date.now() })
          continue
        }
      } catch {}
      rest += `${line}\n`
    }
  }
  return rest + pending
}

/**
 * `hive export` and `hive import` for the desk, run as child processes: the CLI's own code (one format, one
 * set of checks), off the server's thread, with the export streamed out as it is written.
 */
export const portable = ({ config, stores }: Pick<Hive, "config" | "stores">) => {
  // One import at a time: two would only contend for the write lock, and the desk follows the one under way.
  let importing: { progress: ImportProgress | null } | undefined
  return new Elysia({ name: "routes.portable", detail: { tags: ["backups"] } })
    .get(
      "/export",
      ({ query, request }) => {
        if (query.project !== undefined && query.session !== undefined) throw badRequest("give project or session, not both")
        // A scope that does not exist is a 404 before anything is streamed (after, only a cut-off file could say so).
        if (query.project !== undefined) stores.projects.get(query.project)
        if (query.session !== undefined) stores.sessions.get(query.session)
        const args = ["export", "--secrets", query.secrets ?? "encrypted", "--artifacts", query.artifacts ?? "include"]
        // One argument each (--name=value): an id that an import brought may itself look like an option.
        if (query.project !== undefined) args.push(`--project=${query.project}`)
        if (query.session !== undefined) args.push(`--session=${query.session}`)
        const proc = spawnCli(config, args, { stderr: "ignore" })
        // A download given up on stops the export.
        request.signal.addEventListener("abort", () => proc.kill())
        const name = `hive-export-${new Date().toISOString().replaceAll(":", "-").replace(/\..*/, "")}.jsonl`
        return new Response(proc.stdout, {
          headers: { "content-type": "application/x-ndjson", "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" },
        })
      },
      {
        query: t.Object({
          project: t.Optional(Query.text("project", 128)),
          session: t.Optional(Query.text("session", 128)),
          secrets: t.Optional(Query.oneOf("secrets", ["encrypted", "omit"])),
          artifacts: t.Optional(Query.oneOf("artifacts", ["include", "omit"])),
        }),
        detail: {
          summary: "Export (as hive export)",
          description:
            "The `hive export` file, streamed as a download: everything, or one `project` or `session`; `secrets=omit` leaves secrets out (they travel sealed by default), `artifacts=omit` leaves artifact rows and files out. A cut-off download has no end line, and `hive import` refuses it.",
        },
      },
    )
    .post(
      "/import",
      async ({ query, request }) => {
        // JSON lines, a type no simple (cross-site) request can send, as for JSON bodies.
        const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase()
        if (type !== "application/x-ndjson")
          throw new HiveError(
            415,
            "unsupported_media_type",
            `an import's body is the export file, sent with Content-Type: application/x-ndjson${type ? ` (got ${type})` : ""}`,
          )
        if (importing) throw new HiveError(409, "conflict", "an import is already under way; GET /api/import says how far it has got")
        const limit = config.maxImportBytes
        const file = join(config.home, `.import-${Bun.randomUUIDv7()}.jsonl`)
        const current: { progress: ImportProgress | null } = { progress: { done: 0, fraction: null, phase: "uploading", updated_at: Date.now() } }
        importing = current
        try {
          const fd = openSync(file, "w", 0o600)
          try {
            let size = 0
            if (request.body)
              for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
                size += chunk.byteLength
                if (size > limit) throw tooLarge(limit)
                current.progress = { done: size, fraction: null, phase: "uploading", updated_at: Date.now() }
                for (let at = 0; at < chunk.byteLength; ) at += writeSync(fd, chunk, at)
              }
            if (size === 0) throw badRequest("the body is the file `hive export` wrote; it was empty")
          } finally {
            closeSync(fd)
          }
          const { stdout, code, reason } = await runCli(config, ["import", file, "--json", "--progress", "--on-conflict", query.on_conflict ?? "skip"], {
            stderr: (stream) => followProgress(stream, (p) => (current.progress = p)),
          })
          let report: Record<string, unknown> | undefined
          try {
            report = JSON.parse(stdout)
          } catch {}
          // Exit 1 with a report: some records failed (the report names them). Without one, the file was refused.
          if (report && (code === 0 || code === 1)) return { ...report, file: "upload" }
          if (code === 1 || code === 2) throw badRequest(reason || "the file was refused")
          throw new HiveError(500, "internal", `hive import did not finish (exit ${code}): ${reason}`)
        } finally {
          importing = undefined
          rmSync(file, { force: true })
        }
      },
      {
        query: t.Object({ on_conflict: t.Optional(Query.oneOf("on_conflict", ["skip", "replace"])) }),
        detail: {
          summary: "Import (as hive import)",
          description:
            "The request body is a file `hive export` (or GET /api/export) wrote, streamed to disk (up to HIVE_MAX_IMPORT_BYTES), then imported as `hive import --json` does: checked whole first (a damaged or cut-off file is a 400 and changes nothing), then written, with the per-table report. `on_conflict=replace` takes the file's row where one differs.",
        },
      },
    )
    .get("/import", () => ({ running: importing !== undefined, progress: importing?.progress ?? null }), {
      detail: {
        summary: "The import under way",
        description:
          "Whether an import is running, and how far it has got: `phase` uploading (`done` bytes), checking (`done` lines) or writing (`done` records, `fraction` of them).",
      },
    })
}
