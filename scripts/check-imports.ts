// `make check`: the "may import" table of ARCHITECTURE.md, and no import circles, over every file of src/ and
// migrations/. Type-only imports count too: a type that lives above its user is a layer turned upside down.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

const ROOT = resolve(import.meta.dir, "..")

/** What each part may import (besides itself). Keep in step with the table in ARCHITECTURE.md. */
export const MAY_IMPORT: Record<string, string[]> = {
  errors: [],
  log: [],
  pulse: [],
  workers: [],
  process: [],
  config: ["errors", "log"],
  db: ["process", "errors", "log", "config", "workers", "migrations-list"],
  secrets: ["db", "errors", "log", "config"],
  auth: ["db", "secrets", "errors"],
  artifacts: ["errors"],
  legacy: ["db", "errors"],
  hooks: ["process", "db", "errors"],
  transcripts: ["db", "jobs", "errors"],
  tunnel: ["process", "db", "secrets", "errors", "log", "config"],
  notify: ["db", "secrets", "pulse", "errors", "log"],
  jobs: ["process", "db", "secrets", "artifacts", "hooks", "errors", "log", "config", "workers"],
  web: [],
  // routes name the Hive type (what each plugin takes) but never build it.
  routes: [
    "process",
    "hive",
    "db",
    "secrets",
    "auth",
    "artifacts",
    "transcripts",
    "hooks",
    "tunnel",
    "jobs",
    "notify",
    "web",
    "pulse",
    "errors",
    "log",
    "config",
  ],
  hive: ["db", "secrets", "auth", "artifacts", "jobs", "notify", "routes", "pulse", "errors", "log", "config"],
  server: ["hive", "routes", "openapi"],
  // The listener in front of the apps: it answers /health before they load, so it may not import them.
  front: ["hive", "routes", "errors"],
  openapi: ["errors"],
  cli: [
    "client",
    "mcp",
    "process",
    "hive",
    "server",
    "front",
    "routes",
    "db",
    "secrets",
    "auth",
    "artifacts",
    "transcripts",
    "hooks",
    "tunnel",
    "jobs",
    "legacy",
    "pulse",
    "errors",
    "log",
    "config",
    "migrations-list",
    "openapi",
  ],
  // The typed client names the admin app's type only (import type): it never loads the server.
  client: ["server", "errors"],
  // MCP tools are calls of the typed client; the HTTP handler implements Hive's McpHandler type.
  mcp: ["client", "hive", "errors"],
  main: ["cli", "errors", "config"],
  migrations: ["db", "legacy", "secrets", "errors", "config", "migrations"],
  "migrations-list": ["migrations", "db"],
}

/** The part a file belongs to: its folder under src/, or the file's own name for those at the top. */
function partOf(file: string): string {
  const rel = relative(ROOT, file)
  if (rel === "migrations/index.ts" || rel === "migrations/source-checksum.ts") return "migrations-list"
  if (rel.startsWith("migrations/")) return "migrations"
  const [, first, second] = rel.split("/")
  return second === undefined ? first!.replace(/\.ts$/, "") : first!
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return files(path)
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : []
  })
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined // a package, or bun:/node: built-ins
  const base = resolve(dirname(from), spec)
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile() && candidate.endsWith(".ts")) return candidate
    } catch {}
  }
  return undefined // a data file (package.json, phone.html)
}

const all = [...files(join(ROOT, "src")), ...files(join(ROOT, "migrations"))]
const graph = new Map<string, string[]>()
const problems: string[] = []
for (const file of all) {
  const text = readFileSync(file, "utf8")
  const targets: string[] = []
  for (const m of text.matchAll(SPECIFIER)) {
    const target = resolveImport(file, (m[1] ?? m[2])!)
    if (!target) continue
    targets.push(target)
    const [a, b] = [partOf(file), partOf(target)]
    if (a === b) continue
    const allowed = MAY_IMPORT[a]
    if (!allowed) problems.push(`${relative(ROOT, file)}: its part "${a}" is not in the table`)
    else if (!allowed.includes(b)) problems.push(`${relative(ROOT, file)} imports ${relative(ROOT, target)}: ${a} may not import ${b}`)
  }
  graph.set(file, targets)
}

// Circles between files (Tarjan's strongly connected components).
let index = 0
const stack: string[] = []
const on = new Set<string>()
const idx = new Map<string, number>()
const low = new Map<string, number>()
function visit(v: string) {
  idx.set(v, index)
  low.set(v, index++)
  stack.push(v)
  on.add(v)
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      visit(w)
      low.set(v, Math.min(low.get(v)!, low.get(w)!))
    } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
  }
  if (low.get(v) === idx.get(v)) {
    const group: string[] = []
    let w: string
    do {
      w = stack.pop()!
      on.delete(w)
      group.push(w)
    } while (w !== v)
    if (group.length > 1)
      problems.push(
        `an import circle: ${group
          .map((f) => relative(ROOT, f))
          .sort()
          .join(" -> ")}`,
      )
  }
}
for (const f of all) if (!idx.has(f)) visit(f)

if (problems.length) {
  for (const p of problems) console.error(`imports: ${p}`)
  console.error(`imports: ${problems.length} problem(s); the table is in scripts/check-imports.ts and ARCHITECTURE.md`)
  process.exit(1)
}
console.log(`imports: ${all.length} files, every import allowed by the table, no circles`)
