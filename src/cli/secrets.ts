import * as Config from "../config"
import { UsageError } from "../errors"
import { createLogger } from "../log"
import { rotateMasterKey } from "../secrets/rotation"
import { SECRET_NAME } from "../secrets/vault"
import { HOME_OPTION, JSON_OPTION, jsonOnlyFor, noExtra, out, parse, printJson, unknownSubcommand } from "./args"
import { cliActor, prepare } from "./home"
import { readSecretInput } from "./input"

export const help = `Usage: hive secrets set NAME            value from stdin, or a hidden prompt on a terminal (never argv)
       hive secrets get NAME            print the value (audited)
       hive secrets list [--json]       names, key ids, sizes and times; never values
       hive secrets rm NAME
       hive secrets materialize NAME --to PATH
       hive secrets materialize --prefix PREFIX --dir DIR
       hive secrets rotate-key          new master key generation; re-seal every value; retire the old one
       hive secrets status              the master key: source, generations, what each one protects

Values are encrypted with AES-256-GCM under a key derived from the master key (see README).
materialize writes the plaintext atomically with mode 0600, e.g. for a container's token mount:
  hive secrets materialize --prefix agent_token: --dir /run/agent-tokens   # one file per agent

Options:
  --to PATH        file to write (materialize NAME)
  --prefix PREFIX  secrets whose names start with PREFIX (materialize)
  --dir DIR        directory for one file per secret, named by what follows the prefix
  --json           list: the secrets as GET /api/secrets answers them (never values)
  --home DIR       data home (default ~/.hive, env HIVE_HOME)
  -h, --help       show this help`

const when = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z")
const SUBCOMMANDS = ["set", "get", "list", "rm", "materialize", "rotate-key", "status"]

function checkName(name: string | undefined, command: string): string {
  if (!name) throw new UsageError(`hive secrets ${command}: missing NAME (see \`hive secrets --help\`)`)
  if (!new RegExp(SECRET_NAME).test(name)) throw new UsageError(`hive secrets ${command}: a name is 1-200 of A-Z a-z 0-9 . _ : @ -, got "${name}"`)
  return name
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse("hive secrets", argv, {
    ...HOME_OPTION,
    to: { type: "string" },
    prefix: { type: "string" },
    dir: { type: "string" },
    ...JSON_OPTION,
  })
  if (values.help) return (out(help), 0)
  const [sub, name] = positionals
  if (!sub) throw new UsageError(`hive secrets: missing subcommand: ${SUBCOMMANDS.join(", ")} (see \`hive secrets --help\`)`)
  if (!SUBCOMMANDS.includes(sub)) throw unknownSubcommand("hive secrets", sub, SUBCOMMANDS)
  noExtra(`hive secrets ${sub}`, positionals, ["list", "rotate-key", "status"].includes(sub) || (sub === "materialize" && values.prefix) ? 1 : 2)

  jsonOnlyFor(`hive secrets ${sub}`, values.json, sub === "list", "hive secrets list")
  // Check what can be checked before touching the database.
  if (sub === "materialize") {
    if (
      values.prefix !== undefined
        ? values.dir === undefined || name !== undefined || values.to !== undefined
        : values.to === undefined || values.dir !== undefined
    )
      throw new UsageError("hive secrets materialize: use either NAME --to PATH or --prefix PREFIX --dir DIR")
  }
  const secretName = ["set", "get", "rm"].includes(sub) || (sub === "materialize" && !values.prefix) ? checkName(name, sub) : undefined
  const value = sub === "set" ? await readSecretInput(`value for ${secretName}: `) : undefined
  if (value === "") throw new UsageError("hive secrets set: the value is empty (pipe it on stdin or type it at the prompt)")

  const config = Config.load({ home: values.home })
  const logger = createLogger(config.logLevel)
  const { db, vault, keys, stores } = await prepare(config, logger)
  const actor = cliActor()
  try {
    switch (sub) {
      case "set": {
        const meta = vault.putSecret(secretName!, new TextEncoder().encode(value!), actor)
        out(`stored secret ${meta.name} (${meta.size} bytes, key ${meta.key_id})`)
        return 0
      }
      case "get":
        process.stdout.write(vault.revealSecret(secretName!, actor))
        if (process.stdout.isTTY) out()
        return 0
      case "rm":
        vault.deleteSecret(secretName!, actor)
        out(`deleted secret ${secretName}`)
        return 0
      case "list": {
        const rows = []
        let cursor: string | undefined
        do {
          const page = vault.listSecrets({ limit: 500, cursor })
          rows.push(...page.items)
          cursor = page.next_cursor ?? undefined
        } while (cursor)
        if (values.json) return (printJson({ items: rows, next_cursor: null }), 0)
        if (rows.length === 0) return (out("no secrets; add one with `hive secrets set NAME`"), 0)
        const width = Math.max(4, ...rows.map((r) => r.name.length))
        out(`${"NAME".padEnd(width)}  KEY       ${"SIZE".padStart(6)}  UPDATED`)
        for (const r of rows) out(`${r.name.padEnd(width)}  ${r.key_id}  ${String(r.size).padStart(6)}  ${when(r.updated_at)}`)
        return 0
      }
      case "materialize": {
        if (values.prefix !== undefined) {
          const { written, skipped } = vault.materializePrefix(values.prefix, values.dir!, actor)
          for (const w of written) out(`wrote ${w.path}`)
          for (const s of skipped) out(`skipped ${s.name}: ${s.reason}`)
          if (written.length === 0) out(`no secrets start with "${values.prefix}"`)
          return 0
        }
        out(`wrote ${vault.materialize(secretName!, values.to!, actor).path}`)
        return 0
      }
      case "rotate-key": {
        const r = rotateMasterKey(vault.sealer, actor)
        out(`${r.resumed ? "finished an interrupted rotation to" : "rotated to"} key generation ${r.generation} (${r.to}); re-sealed ${r.resealed} value(s)`)
        for (const id of r.retired) out(`retired key ${id}`)
        for (const k of r.kept) out(`kept key ${k.id} while it is still referenced by ${k.because}`)
        return 0
      }
      default: {
        const ring = keys.ring()
        const usage = new Map(stores.keys.usage().map((u) => [u.key_id, u]))
        const refs = stores.keys.references()
        out(`master key: ${ring.source}`)
        for (const g of ring.generations) {
          const used =
            Object.entries(refs.get(g.id) ?? {})
              .map(([w, n]) => `${n} ${w}`)
              .join(", ") || "nothing"
          out(
            `  generation ${g.generation} (${g.id})${g === ring.current ? " current" : ""}: ${usage.get(g.id)?.encryptions ?? 0} encryptions; protects ${used}`,
          )
        }
        return 0
      }
    }
  } finally {
    db.close()
  }
}
