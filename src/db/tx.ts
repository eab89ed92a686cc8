import type { Database } from "bun:sqlite"

/** A sync SQLite transaction cannot await: an async callback is a type error here, not a silent bug. */
type NotPromise<T> = T extends PromiseLike<unknown> ? never : T

/**
 * BEGIN IMMEDIATE: takes the write lock before the first read, so a read-then-write
 * transaction cannot lose an update to another writer (deferred ones can, under WAL).
 */
export function immediate<T>(db: Database, fn: () => NotPromise<T>): T {
  return db.transaction(fn).immediate() as T
}
