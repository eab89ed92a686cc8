import type { Database } from "bun:sqlite"
import { type ListOptions, type Page, Table } from "./entity"

export type Project = { id: string; name: string; directory: string; settings: Record<string, unknown>; created_at: number; updated_at: number }
export type ProjectInput = { name: string; directory: string; settings?: Record<string, unknown> }
export type ProjectPatch = Partial<ProjectInput>

const SPEC = {
  table: "projects",
  what: "project",
  columns: ["id", "name", "directory", "settings", "created_at", "updated_at"],
  json: ["settings"],
  unique: { directory: (dir: unknown) => `a project for directory ${dir} already exists` },
}

export class Projects {
  readonly #table: Table<Project>
  constructor(db: Database) {
    this.#table = new Table<Project>(db, SPEC)
  }

  get(id: string): Project {
    return this.#table.get(id)
  }

  list(page: ListOptions): Page<Project> {
    return this.#table.list({}, page)
  }

  create(input: ProjectInput, now = Date.now()): Project {
    return this.#table.insert({ id: Bun.randomUUIDv7(), ...input, settings: input.settings ?? {}, created_at: now, updated_at: now })
  }

  update(id: string, patch: ProjectPatch, now = Date.now()): Project {
    return this.#table.update(id, patch, now)
  }

  /** Its sessions and worktrees go with it (ON DELETE CASCADE). */
  remove(id: string) {
    this.#table.remove(id)
  }
}

export const create = (db: Database) => new Projects(db)

export type Store = Projects
