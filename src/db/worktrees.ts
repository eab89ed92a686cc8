import type { Database } from "bun:sqlite"
import { entity, type ListOptions } from "./entity"

export type Worktree = { id: string; project_id: string; path: string; branch: string; description: string | null; created_at: number; updated_at: number }
export type WorktreeInput = { project_id: string; path: string; branch: string; description?: string | null }
export type WorktreePatch = Partial<Omit<WorktreeInput, "project_id">>

export function create(db: Database) {
  const table = entity<Worktree>(db, {
    table: "worktrees",
    what: "worktree",
    columns: ["id", "project_id", "path", "branch", "description", "created_at", "updated_at"],
    unique: { path: (path) => `a worktree at ${path} already exists` },
    parent: { column: "project_id", what: "project" },
  })
  return {
    get: table.get,
    list: (filter: { project_id?: string }, page: ListOptions) => table.list(filter, page),
    create(input: WorktreeInput, now = Date.now()) {
      return table.insert({ id: Bun.randomUUIDv7(), ...input, created_at: now, updated_at: now })
    },
    update: (id: string, patch: WorktreePatch, now = Date.now()) => table.update(id, patch, now),
    remove: table.remove,
  }
}

export type Store = ReturnType<typeof create>
