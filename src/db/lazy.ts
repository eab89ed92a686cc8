import type { Database, Statement } from "bun:sqlite"

// A proxy for statements of every row and parameter type: the caller's own types apply at its call site.
// biome-ignore lint/suspicious/noExplicitAny: the one place where any statement stands in for another
type Args = any[]
// biome-ignore lint/suspicious/noExplicitAny: as above
type Any = Statement<any, Args>

/** A statement compiled the first time it runs. */
class OnUse {
  #stmt: Any | undefined
  constructor(readonly make: () => Any) {}
  get stmt(): Any {
    return (this.#stmt ??= this.make())
  }
  get(...args: Args) {
    return this.stmt.get(...args)
  }
  all(...args: Args) {
    return this.stmt.all(...args)
  }
  run(...args: Args) {
    return this.stmt.run(...args)
  }
  values(...args: Args) {
    return this.stmt.values(...args)
  }
  iterate(...args: Args) {
    return this.stmt.iterate(...args)
  }
  finalize() {
    this.#stmt?.finalize()
  }
}

/**
 * The database as the stores see it: `query` and `prepare` give statements that compile on first use.
 * The stores name ~150 statements up front; compiling them all cost start-up time and memory for ones
 * a process may never run (a CLI command runs a handful).
 */
export function preparedOnUse(db: Database): Database {
  const query = (sql: string) => new OnUse(() => db.query(sql)) as unknown as Any
  const prepare = (sql: string) => new OnUse(() => db.prepare(sql)) as unknown as Any
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "query") return query
      if (prop === "prepare") return prepare
      const value = Reflect.get(target, prop, target)
      return typeof value === "function" ? value.bind(target) : value
    },
  })
}
