// The bare program `make bench` compares `hive hook` with: a compiled Bun binary doing the same work — read the
// hook's JSON on stdin, POST it with the caller's pid to the server, exit 0 — and nothing else.
const input = JSON.parse(await Bun.stdin.text())
const res = await fetch(`${process.env.HOOK_URL}/api/hooks/claude`, {
  method: "POST",
  headers: { authorization: `Bearer ${process.env.HIVE_TOKEN}`, "content-type": "application/json" },
  body: JSON.stringify({ input, caller: { pid: process.ppid, ppid: null, start_time: null, tty: null }, transport: { kind: "unknown", details: {} } }),
})
process.exit(res.status === 201 ? 0 : 1)
export {}
