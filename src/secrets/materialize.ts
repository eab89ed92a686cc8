import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs"
import { basename, dirname, isAbsolute, join } from "node:path"
import { badRequest } from "../errors"

/**
 * Writes plaintext where a container (or tool) expects a token file: atomically (temp file in the same
 * directory, fsync, rename), mode 0600, never through a symlink, never over a directory.
 */
export function writeSecretFile(path: string, bytes: Uint8Array) {
  if (!isAbsolute(path)) throw badRequest(`materialize needs an absolute path, got "${path}"`)
  let existing: ReturnType<typeof lstatSync> | undefined
  try {
    existing = lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw badRequest(`cannot write ${path}: ${(err as Error).message}`)
  }
  if (existing?.isSymbolicLink()) throw badRequest(`${path} is a symlink; hive does not write secrets through symlinks`)
  if (existing && !existing.isFile()) throw badRequest(`${path} exists and is not a regular file`)
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
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
    renameSync(temp, path)
  } catch (err) {
    try {
      unlinkSync(temp)
    } catch {}
    throw badRequest(`cannot write ${path}: ${(err as Error).message}`)
  }
}

/** The directory for `materialize --dir`: created 0700 if missing. */
export function ensureSecretDir(dir: string) {
  if (!isAbsolute(dir)) throw badRequest(`materialize needs an absolute directory, got "${dir}"`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw badRequest(`cannot create ${dir}: ${(err as Error).message}`)
  }
}

/** A secret name's remainder after the prefix, if it is a plain file name. */
export const safeFileName = (rest: string) => (rest && !rest.includes("/") && !rest.includes("\0") && rest !== "." && rest !== ".." ? rest : undefined)
