import type { Database } from "bun:sqlite"
import { entity, type ListOptions } from "./entity"

export type Project = { id: string; name: string; directory: string; settings: Record<string, unknown>; created_at: number; updated_at: number }
export type ProjectInput = { name: string; directory: string; settings?: Record<string, unknown> }
export type ProjectPatch = Partial<ProjectInput>

export function create(db: Database) {
  const table = entity<Project>(db, {
    table: "projects",
    what: "project",
    columns: ["id", "name", "directory", "settings", "created_at", "updated_at"],
    json: ["settings"],
    unique: { directory: (dir) => `a project for directory ${dir} already exists` },
  })
  return {
    get: table.get,
    list: (page: ListOptions) => table.list({}, page),
    create(input: ProjectInput, now = Date.now()) {
      return table.insert({ id: Bun.randomUUIDv7(), ...input, settings: input.settings ?? {}, created_at: now, updated_at: now })
    },
    update: (id: string, patch: ProjectPatch, now = Date.now()) => table.update(id, patch, now),
    /** Its sessions and worktrees go with it (ON DELETE CASCADE). */
    remove: table.remove,
  }
}

export type Store = ReturnType<typeof create>
