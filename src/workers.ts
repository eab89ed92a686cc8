// Worker threads: where their programs are, and how an error crosses back. Each worker's program is a file of
// its own and, in the binary, an entry point of its own (Makefile: WORKERS).

/** An error as it crosses a thread boundary: enough to rebuild what the handlers map (SQLITE_FULL is a 507). */
export type WireError = { name: string; message: string; code?: string }

export function toWire(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown }
  return { name: String(e?.name ?? "Error"), message: String(e?.message ?? err), code: typeof e?.code === "string" ? e.code : undefined }
}

export const fromWire = (e: WireError) => Object.assign(new Error(e.message), { name: e.name, code: e.code })

/**
 * A worker's program: `underSrc` is its path under src/ (how the binary names it), `beside` the URL of the file
 * next to the caller's (how a run from source finds it). In the binary, import.meta.url holds the build machine's
 * path, which a user does not have.
 */
export function workerProgram(underSrc: string, beside: URL): string {
  return Bun.main.startsWith("/$bunfs/") ? `./${underSrc}` : beside.href
}

/**
 * Ends a long-lived worker: asks it to stop ({ type: "stop" }), so it closes its connection, waits for its
 * { type: "stopped" } (at most `timeoutMs`), then terminates it whatever it said.
 */
export async function endWorker(w: Worker, timeoutMs = 1000) {
  await new Promise<void>((resolve) => {
    const done = setTimeout(resolve, timeoutMs)
    w.onmessage = ({ data }: MessageEvent<{ type?: string }>) => {
      if (data.type === "stopped") {
        clearTimeout(done)
        resolve()
      }
    }
    w.postMessage({ type: "stop" })
  })
  w.terminate()
}

type OnceReply<O> = { ok: true; value: O } | { ok: false; error: WireError }

/** One message in, one reply out, then the worker ends: a long synchronous job off the server's thread. */
export function runOnce<O>(program: string, input: unknown): Promise<O> {
  return new Promise<O>((resolve, reject) => {
    const w = new Worker(program)
    w.onmessage = ({ data }: MessageEvent<OnceReply<O>>) => {
      w.terminate()
      if (data.ok) resolve(data.value)
      else reject(fromWire(data.error))
    }
    w.onerror = (e) => {
      w.terminate()
      reject(new Error(`the worker thread stopped: ${e.message}`))
    }
    w.postMessage(input)
  })
}

/** The worker's side of runOnce. */
export function serveOnce<I, O>(self: Worker, job: (input: I) => O | Promise<O>) {
  self.onmessage = async ({ data }: MessageEvent<I>) => {
    try {
      self.postMessage({ ok: true, value: await job(data) } satisfies OnceReply<O>)
    } catch (err) {
      self.postMessage({ ok: false, error: toWire(err) } satisfies OnceReply<O>)
    }
  }
}
