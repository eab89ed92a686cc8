import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, unlinkSync, writeSync } from "node:fs"
import { basename, dirname, isAbsolute, join, sep } from "node:path"
import { badRequest, HiveError } from "../errors"

/**
 * Where a secret may be written: anywhere its user asks (the CLI), or only inside the directories the operator
 * named in configuration (the API: HIVE_MATERIALIZE_DIRS). Either way the check is made on real paths, so a
 * symlinked parent cannot lead out of an allowed directory.
 */
export type Destination = { within?: readonly string[] }

const outside = (what: string, within: readonly string[]) =>
  new HiveError(
    403,
    "forbidden_path",
    within.length
      ? `${what} is outside the directories the API may write secrets into (HIVE_MATERIALIZE_DIRS: ${within.join(", ")})`
      : "the API writes secrets into no directory until the operator names some in HIVE_MATERIALIZE_DIRS (the CLI, `hive secrets materialize`, writes where its user asks)",
  )

/** The real path of an existing directory, or a clear 400. */
function realDir(dir: string): string {
  try {
    return realpathSync(dir)
  } catch (err) {
    throw badRequest(`cannot write into ${dir}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (err as Error).message}`)
  }
}

/** Whether the real directory `real` is one of (or below one of) the allowed directories. */
function inside(real: string, within: readonly string[]): boolean {
  return within.some((allowed) => {
    let root: string
    try {
      root = realpathSync(allowed)
    } catch {
      return false // a configured directory that does not exist allows nothing
    }
    return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
  })
}

/**
 * Writes plaintext where a container (or tool) expects a token file: atomically (temp file in the same
 * directory, fsync, rename), mode 0600, never through a symlink, never over a directory.
 */
export function writeSecretFile(path: string, bytes: Uint8Array, to: Destination = {}) {
  if (!isAbsolute(path)) throw badRequest(`materialize needs an absolute path, got "${path}"`)
  const name = basename(path)
  if (!name || name === "." || name === ".." || path.endsWith("/")) throw badRequest(`materialize needs a file path, got "${path}"`)
  const parent = realDir(dirname(path))
  if (to.within && !inside(parent, to.within)) throw outside(path, to.within)
  const target = join(parent, name)
  let existing: ReturnType<typeof lstatSync> | undefined
  try {
    existing = lstatSync(target)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw badRequest(`cannot write ${path}: ${(err as Error).message}`)
  }
  if (existing?.isSymbolicLink()) throw badRequest(`${path} is a symlink; hive does not write secrets through symlinks`)
  if (existing && !existing.isFile()) throw badRequest(`${path} exists and is not a regular file`)
  const temp = join(parent, `.${name}.${process.pid}.${Date.now()}.tmp`)
  let fd: number
  try {
    fd = openSync(temp, "wx", 0o600)
  } catch (err) {
    throw badRequest(`cannot write into ${dirname(path)}: ${(err as Error).message}`)
  }
  try {
    writeSync(fd, bytes)
    fsyncSync(fd)
    closeSync(fd)
    // rename replaces the name itself: a symlink put there since the check is replaced, never followed.
    renameSync(temp, target)
  } catch (err) {
    try {
      unlinkSync(temp)
    } catch {}
    throw badRequest(`cannot write ${path}: ${(err as Error).message}`)
  }
}

/** The directory for `materialize --dir`: created 0700 if missing (under an allowed directory, for the API). */
export function ensureSecretDir(dir: string, to: Destination = {}) {
  if (!isAbsolute(dir)) throw badRequest(`materialize needs an absolute directory, got "${dir}"`)
  if (to.within) {
    let existing = dir
    for (;;) {
      try {
        lstatSync(existing)
        break
      } catch {
        existing = dirname(existing)
      }
    }
    if (!inside(realDir(existing), to.within)) throw outside(dir, to.within)
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw badRequest(`cannot create ${dir}: ${(err as Error).message}`)
  }
}

/** A secret name's remainder after the prefix, if it is a plain file name. */
export const safeFileName = (rest: string) => (rest && !rest.includes("/") && !rest.includes("\0") && rest !== "." && rest !== ".." ? rest : undefined)
