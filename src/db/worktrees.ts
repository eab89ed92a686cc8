import type { Database } from "bun:sqlite"
import { type ListOptions, type Page, Table } from "./entity"

export type Worktree = { id: string; project_id: string; path: string; branch: string; description: string | null; created_at: number; updated_at: number }
export type WorktreeInput = { project_id: string; path: string; branch: string; description?: string | null }
export type WorktreePatch = Partial<Omit<WorktreeInput, "project_id">>

const SPEC = {
  table: "worktrees",
  what: "worktree",
  columns: ["id", "project_id", "path", "branch", "description", "created_at", "updated_at"],
  unique: { path: (path: unknown) => `a worktree at ${path} already exists` },
  parent: { column: "project_id", what: "project" },
}

export class Worktrees {
  readonly #table: Table<Worktree>
  constructor(db: Database) {
    this.#table = new Table<Worktree>(db, SPEC)
  }

  get(id: string): Worktree {
    return this.#table.get(id)
  }

  list(filter: { project_id?: string }, page: ListOptions): Page<Worktree> {
    return this.#table.list(filter, page)
  }

  create(input: WorktreeInput, now = Date.now()): Worktree {
    return this.#table.insert({ id: Bun.randomUUIDv7(), ...input, created_at: now, updated_at: now })
  }

  update(id: string, patch: WorktreePatch, now = Date.now()): Worktree {
    return this.#table.update(id, patch, now)
  }

  remove(id: string) {
    this.#table.remove(id)
  }
}

export const create = (db: Database) => new Worktrees(db)

export type Store = Worktrees
