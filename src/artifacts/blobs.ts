import {
  chmodSync,
  closeSync,
  copyFileSync,
  type Dirent,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs"
import { join, relative, sep } from "node:path"
import { HiveError } from "../errors"

/** Content types stored gzip-compressed: text compresses well; images and archives are compressed already. */
export const isText = (contentType: string) =>
  /^(text\/|application\/(json|x-ndjson|jsonl|xml|javascript|x-javascript|x-diff|x-patch|x-sh|yaml|x-yaml|toml|sql|graphql)\b|[^;]*\+(json|xml)\b)/i.test(
    contentType,
  )

export type Placed = { path: string; size: number; stored_size: number; sha256: string; encoding: "identity" | "gzip" }
export type Range = { start: number; end: number }

const INCOMING = ".incoming"
/** A file no row refers to is swept only when older than this: an upload places its file just before its row commits. */
export const ORPHAN_GRACE_MS = 10 * 60_000

/** The only path an artifact row may name: where hive itself stores its content (no "..", nothing absolute). */
export function artifactPath(row: { session_id?: unknown; type?: unknown; sha256?: unknown; encoding?: unknown }): string | undefined {
  const { session_id, type, sha256, encoding } = row
  if (typeof session_id !== "string" || !/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/.test(session_id) || session_id.includes("..")) return undefined
  if (typeof type !== "string" || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(type)) return undefined
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) return undefined
  if (encoding !== "gzip" && encoding !== "identity") return undefined
  return ["artifacts", session_id, type, encoding === "gzip" ? `${sha256}.gz` : sha256].join("/")
}

/** The shape of artifactPath's answer, for a path read from a file before its row is known. */
export const ARTIFACT_PATH = /^artifacts\/(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}\/[a-z0-9][a-z0-9_-]{0,63}\/[0-9a-f]{64}(\.gz)?$/

/** A file coming in from an export, a part at a time, checked against what the export said before it is placed. */
export type Incoming = { write(bytes: Uint8Array): void; finish(expected: { bytes: number; sha256: string }): Promise<"written" | "unchanged">; abort(): void }

/**
 * Artifact files under $HIVE_HOME/artifacts/<session>/<type>/<sha256>[.gz]: streamed in while hashed,
 * compressed when text, and stored once per folder whatever the number of uploads. Placing a file and
 * committing its row, or deleting a row and its file, happen under a per-file lock, so a delete never
 * removes a file that an upload of the same content has just claimed.
 */
export class Blobs {
  readonly root: string
  readonly #home: string
  readonly #locks = new Map<string, Promise<unknown>>()
  constructor(home: string) {
    this.#home = home
    this.root = join(home, "artifacts")
  }

  /** Runs `fn` once every earlier holder of `path`'s lock is done. */
  locked<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
    const locks = this.#locks
    const before = locks.get(path) ?? Promise.resolve()
    const run = before.then(fn, fn)
    const tail = run.catch(() => {})
    locks.set(path, tail)
    void tail.then(() => locks.get(path) === tail && locks.delete(path))
    return run
  }

  /**
   * Streams an upload in and moves it to its content address; `commit` records its row, under the file's
   * lock. A file already there (the same content) is kept and the new copy dropped.
   */
  async store<T>(
    body: ReadableStream<Uint8Array> | null,
    limit: number,
    where: { session: string; type: string; contentType: string },
    commit: (placed: Placed) => Promise<T>,
  ): Promise<T> {
    const { source, info } = await this.#receive(body, limit, where)
    return this.locked(info.path, async () => {
      const target = join(this.#home, info.path)
      try {
        mkdirSync(join(target, ".."), { recursive: true, mode: 0o700 })
        if (await Bun.file(target).exists()) rmSync(source, { force: true })
        else renameSync(source, target)
      } catch (err) {
        rmSync(source, { force: true })
        throw err
      }
      return commit({ ...info, stored_size: statSync(target).size })
    })
  }

  /** Deletes a file once `stillUsed` (checked under the lock, after any upload of the same content) says no row needs it. */
  release(path: string, stillUsed: () => boolean): Promise<void> {
    return this.locked(path, () => {
      if (!stillUsed()) rmSync(join(this.#home, path), { force: true })
    })
  }

  /** The file's bytes as stored, or its decompressed content; a range is of the original content. */
  read(a: { path: string; encoding: "identity" | "gzip" }, range?: Range): ReadableStream<Uint8Array> | Blob {
    const file = Bun.file(join(this.#home, a.path))
    if (a.encoding === "identity") return range ? file.slice(range.start, range.end + 1) : file
    const plain = file.stream().pipeThrough(new DecompressionStream("gzip"))
    return range ? plain.pipeThrough(slice(range)) : plain
  }

  /** Removes uploads a crash left half-written, and artifact folders left empty; returns the files removed. */
  tidy(olderThan: number): number {
    const root = this.root
    let removed = 0
    const incoming = join(root, INCOMING)
    for (const name of safeList(incoming)) {
      const full = join(incoming, name)
      if (statSync(full).mtimeMs < olderThan) {
        rmSync(full, { force: true })
        removed++
      }
    }
    for (const session of safeList(root)) {
      if (session === INCOMING) continue
      for (const type of safeList(join(root, session))) rmEmpty(join(root, session, type))
      rmEmpty(join(root, session))
    }
    return removed
  }

  /**
   * Takes in an exported artifact file for `path` (which must have ARTIFACT_PATH's shape): written to the
   * incoming folder as it arrives, then, when its size and sha256 match what the export recorded, moved into
   * place under the file's lock. A file already there is kept (the same path is the same content).
   */
  receive(path: string): Incoming {
    if (!ARTIFACT_PATH.test(path)) throw new HiveError(400, "bad_request", `not an artifact path: ${JSON.stringify(path.slice(0, 200))}`)
    mkdirSync(join(this.root, INCOMING), { recursive: true, mode: 0o700 })
    const temp = join(this.root, INCOMING, Bun.randomUUIDv7())
    const fd = openSync(temp, "w", 0o600)
    const hasher = new Bun.CryptoHasher("sha256")
    let size = 0
    let open = true
    const close = () => {
      if (open) closeSync(fd)
      open = false
    }
    return {
      write(bytes) {
        hasher.update(bytes)
        size += bytes.byteLength
        for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at)
      },
      finish: async (expected) => {
        close()
        const sha256 = hasher.digest("hex")
        if (size !== expected.bytes || sha256 !== expected.sha256) {
          rmSync(temp, { force: true })
          throw new Error(
            `${path}: ${size} bytes with sha256 ${sha256.slice(0, 12)}…, the export says ${expected.bytes} bytes, ${expected.sha256.slice(0, 12)}…`,
          )
        }
        return this.locked(path, () => {
          const target = join(this.#home, path)
          if (this.exists(path)) {
            rmSync(temp, { force: true })
            return "unchanged" as const
          }
          mkdirSync(join(target, ".."), { recursive: true, mode: 0o700 })
          renameSync(temp, target)
          return "written" as const
        })
      },
      abort() {
        close()
        rmSync(temp, { force: true })
      },
    }
  }

  /**
   * The files at `paths` (the artifact rows' paths) linked into `target` under the same relative paths, or
   * copied where a link cannot cross file systems. The files are content-addressed and never rewritten, so a
   * hard link is a copy that costs no space until the original is deleted. A path not of hive's shape, or not
   * on disk, is reported missing.
   */
  keepInto(paths: Iterable<string>, target: string): { files: number; bytes: number; missing: string[] } {
    const missing: string[] = []
    let files = 0
    let bytes = 0
    for (const path of paths) {
      if (!ARTIFACT_PATH.test(path)) {
        missing.push(path)
        continue
      }
      const to = join(target, path)
      try {
        mkdirSync(join(to, ".."), { recursive: true, mode: 0o700 })
        try {
          linkSync(join(this.#home, path), to)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err
          copyFileSync(join(this.#home, path), to)
        }
        bytes += statSync(to).size
        files++
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err
        missing.push(path)
      }
    }
    return { files, bytes, missing }
  }

  /** Puts back what keepInto kept in `source` (paths of hive's shape only); a file already here is kept. */
  putBack(source: string): number {
    let placed = 0
    let entries: Dirent[]
    try {
      entries = readdirSync(join(source, "artifacts"), { withFileTypes: true, recursive: true })
    } catch {
      return 0
    }
    // A listed symlink is not a file here (withFileTypes does not follow it): only files are copied.
    for (const e of entries) {
      if (!e.isFile()) continue
      const from = join(e.parentPath, e.name)
      const path = relative(source, from).split(sep).join("/")
      if (!ARTIFACT_PATH.test(path) || this.exists(path)) continue
      const to = join(this.#home, path)
      mkdirSync(join(to, ".."), { recursive: true, mode: 0o700 })
      copyFileSync(from, to)
      chmodSync(to, 0o600)
      placed++
    }
    return placed
  }

  exists(path: string): boolean {
    try {
      return statSync(join(this.#home, path)).isFile()
    } catch {
      return false
    }
  }

  /** Every artifact file on disk (relative to the home) with its size and age; the incoming folder is not listed. */
  files(): { path: string; bytes: number; modified_at: number }[] {
    const { root } = this
    const home = this.#home
    const out: { path: string; bytes: number; modified_at: number }[] = []
    const walk = (dir: string) => {
      let entries: import("node:fs").Dirent[]
      try {
        entries = readdirSync(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        const full = join(dir, e.name)
        if (e.isDirectory()) {
          if (!(dir === root && e.name === INCOMING)) walk(full)
        } else if (e.isFile()) {
          const st = statSync(full)
          out.push({ path: relative(home, full).split(sep).join("/"), bytes: st.size, modified_at: st.mtimeMs })
        }
      }
    }
    walk(root)
    return out
  }

  /** Streams a body to a temp file (hashing as it goes, refusing past `limit` bytes), compressed when text. */
  async #receive(body: ReadableStream<Uint8Array> | null, limit: number, where: { session: string; type: string; contentType: string }) {
    mkdirSync(join(this.root, INCOMING), { recursive: true, mode: 0o700 })
    const temp = join(this.root, INCOMING, Bun.randomUUIDv7())
    const hasher = new Bun.CryptoHasher("sha256")
    let size = 0
    try {
      const sink = Bun.file(temp).writer()
      try {
        if (body)
          for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
            size += chunk.byteLength
            if (size > limit) throw new HiveError(413, "payload_too_large", `the artifact exceeds the limit of ${limit} bytes (HIVE_MAX_ARTIFACT_BYTES)`)
            hasher.update(chunk)
            sink.write(chunk)
          }
      } finally {
        await sink.end()
      }
      const sha256 = hasher.digest("hex")
      const encoding: Placed["encoding"] = isText(where.contentType) ? "gzip" : "identity"
      let source = temp
      if (encoding === "gzip") {
        source = `${temp}.gz`
        await Bun.write(source, new Response(Bun.file(temp).stream().pipeThrough(new CompressionStream("gzip"))))
        rmSync(temp, { force: true })
      }
      const path = ["artifacts", where.session, where.type, encoding === "gzip" ? `${sha256}.gz` : sha256].join("/")
      return { source, info: { path, size, sha256, encoding } }
    } catch (err) {
      rmSync(temp, { force: true })
      rmSync(`${temp}.gz`, { force: true })
      throw err
    }
  }
}

/** The artifact files of a home. */
export const createBlobs = (home: string) => new Blobs(home)

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function rmEmpty(dir: string) {
  try {
    rmdirSync(dir)
  } catch {
    // not empty, or not a folder: leave it
  }
}

/** Passes on bytes [start, end] of a stream and drops the rest. */
function slice({ start, end }: Range) {
  let at = 0
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, out) {
      const from = Math.max(0, start - at)
      const to = Math.min(chunk.byteLength, end + 1 - at)
      if (from < to) out.enqueue(chunk.subarray(from, to))
      at += chunk.byteLength
    },
  })
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; undefined for no (or a multi-part) range, null when unsatisfiable. */
export function parseRange(header: string | null, size: number): Range | undefined | null {
  if (!header) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m) return header.includes(",") ? undefined : null
  const [, a, b] = m
  if (a === "" && b === "") return null
  if (a === "") {
    const n = Number(b)
    if (n === 0 || size === 0) return null
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(a)
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1)
  if (start >= size || end < start) return null
  return { start, end }
}
