import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import * as z from "zod"
import { type AdminClient, errorMessage } from "../client"

/** The API as one agent's token sees it; the server checks the token on every call, as for any client. */
export type AgentApi = AdminClient["api"]

/** The longest one tool call waits for an answer or a resolution, whatever the model asks. */
export const MAX_TOOL_WAIT_S = 3600
const DEFAULT_WAIT_S = 600

type Answer = { data: unknown; error: { status: number; value: unknown } | null; status: number }

/** A failed REST answer becomes this, and the tool's error result carries the REST error's own message. */
class ApiError extends Error {}

function unwrap<T>(res: { data: T; error: { status: number; value: unknown } | null; status: number }): NonNullable<T> {
  if (res.error) throw new ApiError(errorMessage(res.error.value))
  return res.data as NonNullable<T>
}

const text = (value: unknown) => ({ content: [{ type: "text" as const, text: JSON.stringify(value, null, 1) }] })

type Extra = {
  signal: AbortSignal
  _meta?: { progressToken?: string | number }
  sendNotification: (n: {
    method: "notifications/progress"
    params: { progressToken: string | number; progress: number; total?: number; message?: string }
  }) => Promise<void>
}

/** Every tool answers a result; a refusal or an unreachable server is a tool error, never a crash. */
function guarded<A>(fn: (args: A, extra: Extra) => Promise<unknown>) {
  return async (args: A, extra: Extra) => {
    try {
      return text(await fn(args, extra))
    } catch (err) {
      const message =
        err instanceof ApiError ? err.message : extra.signal.aborted ? "cancelled" : `hive did not answer: ${(err as Error).message ?? String(err)}`
      return { isError: true, content: [{ type: "text" as const, text: message }] }
    }
  }
}

/**
 * Waits in steps of `stepS` until `settled`, the time is up or the call is cancelled, telling the client how
 * long it has waited after each step (MCP progress), so a client's request timeout does not end it silently.
 */
async function waitInSteps<T>(
  stepS: number,
  seconds: number,
  extra: Extra,
  step: (waitS: number, signal: AbortSignal) => Promise<T>,
  settled: (v: T) => boolean,
  what: string,
): Promise<T> {
  const started = Date.now()
  const until = started + seconds * 1000
  for (;;) {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000))
    const value = await step(Math.min(stepS, left), extra.signal)
    if (settled(value) || left <= stepS || extra.signal.aborted) return value
    const token = extra._meta?.progressToken
    if (token !== undefined)
      await extra
        .sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: Math.round((Date.now() - started) / 1000), total: seconds, message: `still waiting for ${what}` },
        })
        .catch(() => {})
  }
}

const Seconds = (what: string, fallback: number) =>
  z.number().int().min(0).max(MAX_TOOL_WAIT_S).optional().describe(`${what}, in seconds (default ${fallback}, at most ${MAX_TOOL_WAIT_S})`)

/**
 * The broker's tools, for one agent (`me`), each a call or two of the REST API. A tool that waits does so in
 * long polls of `progressMs` and reports progress after each.
 */
export function registerTools(server: McpServer, api: AgentApi, me: string, progressMs: number) {
  const stepS = Math.max(1, Math.round(progressMs / 1000))
  const waitFor = <T>(...args: Parameters<typeof waitInSteps<T>> extends [number, ...infer R] ? R : never) => waitInSteps<T>(stepS, ...args)
  const inbox = api.messages.inbox({ recipient: me })

  server.registerTool(
    "send_message",
    {
      description:
        'Send a message to another agent, or to the human operator (to: "operator"). It waits in the recipient\'s inbox until they acknowledge it. Returns the stored message with its id.',
      inputSchema: {
        to: z.string().min(1).max(64).describe('an agent name from list_agents, or "operator"'),
        body: z
          .string()
          .min(1)
          .max(256 * 1024),
      },
    },
    guarded(async (a: { to: string; body: string }) => unwrap(await api.messages.post({ to: a.to, body: a.body }))),
  )

  server.registerTool(
    "read_inbox",
    {
      description:
        'Read your undelivered messages, oldest first. They stay until you call ack_inbox with the id of the last one you handled. Bodies that are JSON with a "type" come from hive itself: "question" (another agent asks you; answer with answer_question), "answer" (the answer to a question you asked), "approval" (the resolution of an approval you requested). With wait_seconds, an empty inbox waits for the next message.',
      inputSchema: {
        wait_seconds: Seconds("how long to wait when the inbox is empty", 0),
        limit: z.number().int().min(1).max(500).optional().describe("at most this many messages (default 50)"),
      },
    },
    guarded(async (a: { wait_seconds?: number; limit?: number }, extra) => {
      const page = await waitFor(
        a.wait_seconds ?? 0,
        extra,
        async (waitS, signal) => unwrap(await inbox.get({ query: { limit: a.limit, wait: waitS ? `${waitS}s` : undefined }, fetch: { signal } })),
        (p) => p.items.length > 0,
        "a message",
      )
      return { messages: page.items, more: page.next_cursor !== null }
    }),
  )

  server.registerTool(
    "ack_inbox",
    {
      description: "Acknowledge your inbox up to and including a message id: those messages are delivered and read_inbox no longer returns them.",
      inputSchema: { up_to: z.number().int().min(0).describe("the id of the last message you handled") },
    },
    guarded(async (a: { up_to: number }) => unwrap(await inbox.ack.post({ up_to: a.up_to }))),
  )

  server.registerTool(
    "ask_question",
    {
      description:
        'Ask the human operator (leave out target) or another agent (target: its name) a question, and wait for the answer. Give options to make it a choice (multi: true to allow several). Returns {status: "answered", answer} or {status: "timed_out"} once timeout_seconds pass with no answer.',
      inputSchema: {
        question: z.string().min(1).max(10_000),
        target: z.string().min(1).max(64).optional().describe("an agent's name; leave out to ask the operator"),
        options: z.array(z.string().min(1).max(500)).max(50).optional(),
        multi: z.boolean().optional(),
        timeout_seconds: Seconds("how long the question stays open", DEFAULT_WAIT_S),
      },
    },
    guarded(async (a: { question: string; target?: string; options?: string[]; multi?: boolean; timeout_seconds?: number }, extra) => {
      const seconds = Math.max(1, a.timeout_seconds ?? DEFAULT_WAIT_S)
      const asked = unwrap(await api.questions.post({ question: a.question, target: a.target, options: a.options, multi: a.multi, ttl_ms: seconds * 1000 }))
      const q = await waitFor(
        // A second more than the deadline: the last poll then sees the question time out.
        seconds + 1,
        extra,
        async (waitS, signal) => unwrap(await api.questions({ id: asked.id }).get({ query: { wait: `${waitS}s` }, fetch: { signal } })),
        (v) => v.status !== "open",
        a.target ? `${a.target}'s answer` : "the operator's answer",
      )
      return q.status === "answered" ? { status: "answered", question_id: q.id, answer: q.answer } : { status: q.status, question_id: q.id }
    }),
  )

  server.registerTool(
    "answer_question",
    {
      description:
        'Answer a question another agent asked you (it arrived in your inbox as {"type": "question", "id": ...}). With options, the answer must be one of them (or a list of them when multi).',
      inputSchema: { question_id: z.string().min(1).max(128), answer: z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(500)).max(50)]) },
    },
    guarded(async (a: { question_id: string; answer: string | string[] }) =>
      unwrap(await api.questions({ id: a.question_id }).answer.post({ answer: a.answer })),
    ),
  )

  server.registerTool(
    "request_approval",
    {
      description:
        'Ask the operator to approve an action before you take it (kind: e.g. "deploy", "apply_commit", "spawn"; ref: what it applies to, such as a commit). Waits for the decision and returns {status: "approved" | "denied" | "failed", note}. Still pending after timeout_seconds: returns {status: "pending"}; the decision will also arrive in your inbox.',
      inputSchema: {
        kind: z.string().min(1).max(64),
        ref: z.string().max(500).optional(),
        note: z.string().max(10_000).optional().describe("what you want to do and why, for the operator"),
        timeout_seconds: Seconds("how long to wait for the decision", DEFAULT_WAIT_S),
      },
    },
    guarded(async (a: { kind: string; ref?: string; note?: string; timeout_seconds?: number }, extra) => {
      const requested = unwrap(await api.approvals.post({ kind: a.kind, ref: a.ref, note: a.note }))
      const decided = await waitFor(
        a.timeout_seconds ?? DEFAULT_WAIT_S,
        extra,
        async (waitS, signal) => unwrap(await api.approvals({ id: requested.id }).get({ query: { wait: `${waitS}s` }, fetch: { signal } })),
        (v) => v.status !== "pending",
        "the operator's decision",
      )
      return { status: decided.status, approval_id: decided.id, note: decided.resolution_note }
    }),
  )

  server.registerTool(
    "claim_command",
    {
      description:
        "Take the oldest command queued for you. You hold it for lease_seconds; acknowledge it with ack_command when done, or it is delivered again. Returns the command, or {command: null} when none came within wait_seconds.",
      inputSchema: {
        lease_seconds: z.number().int().min(1).max(86_400).optional().describe("how long the command is yours (default 30)"),
        wait_seconds: Seconds("how long to wait for a command when none is queued", 0),
      },
    },
    guarded(async (a: { lease_seconds?: number; wait_seconds?: number }, extra) => {
      const res = await waitFor(
        a.wait_seconds ?? 0,
        extra,
        async (waitS, signal) => {
          const r = (await api.commands.claim.post(
            { lease_ms: a.lease_seconds ? a.lease_seconds * 1000 : undefined, wait: waitS ? `${waitS}s` : undefined },
            { fetch: { signal } },
          )) as Answer
          return r.status === 204 ? null : unwrap(r)
        },
        (c) => c !== null,
        "a command",
      )
      return { command: res }
    }),
  )

  server.registerTool(
    "ack_command",
    {
      description: "Acknowledge a command you claimed: it is done and never delivered again.",
      inputSchema: { id: z.string().min(1).max(200) },
    },
    guarded(async (a: { id: string }) => unwrap(await api.commands({ id: a.id }).ack.post())),
  )

  server.registerTool(
    "post_event",
    {
      description:
        "Record an event in hive's log (what you did, a milestone, an error), for the operator's timeline and for search. kind is a short dotted name such as \"build.failed\".",
      inputSchema: {
        kind: z.string().min(1).max(100),
        payload: z.record(z.string(), z.unknown()).optional().describe("any JSON object"),
        session_id: z.string().min(1).max(128).optional().describe("the hive session it belongs to, if any"),
      },
    },
    guarded(async (a: { kind: string; payload?: Record<string, unknown>; session_id?: string }) =>
      unwrap(await api.events.post({ kind: a.kind, payload: a.payload, session_id: a.session_id })),
    ),
  )

  const Count = z.number().int().min(0).optional()
  server.registerTool(
    "record_turn",
    {
      description: "Record the usage of one of your turns (times in unix milliseconds, token counts, tool calls by name), for the operator's turn stats.",
      inputSchema: {
        started_at: z.number().int().min(0),
        ended_at: z.number().int().min(0),
        model: z.string().max(200).optional(),
        input_tokens: Count,
        output_tokens: Count,
        cache_read_tokens: Count,
        cache_creation_tokens: Count,
        tool_call_breakdown: z.record(z.string().max(200), z.number().int().min(0)).optional().describe('e.g. {"Bash": 3, "Edit": 2}'),
      },
    },
    guarded(async (a: { started_at: number; ended_at: number; model?: string } & Record<string, unknown>) =>
      unwrap(await api.stats.turns.post(a as Parameters<typeof api.stats.turns.post>[0])),
    ),
  )

  server.registerTool(
    "search",
    {
      description:
        "Full-text search over what is yours in hive: your events and the sessions you posted them in, your messages and your questions. Every word must match; end a word with * for a prefix. Returns hits best first, with a snippet ([match] marked).",
      inputSchema: {
        q: z.string().min(1).max(500),
        limit: z.number().int().min(1).max(100).optional(),
        cursor: z.string().max(10).optional().describe("next_cursor of a previous search"),
      },
    },
    guarded(async (a: { q: string; limit?: number; cursor?: string }) => unwrap(await api.search.get({ query: { q: a.q, limit: a.limit, cursor: a.cursor } }))),
  )

  server.registerTool(
    "list_agents",
    { description: "The agents you can message or ask, with their model and status (destroyed ones cannot be reached).", inputSchema: {} },
    guarded(async () => {
      const page = unwrap(await api.agents.get({ query: { limit: 500 } }))
      return { you: me, agents: page.items.map((a) => ({ name: a.name, model: a.model, status: a.status })) }
    }),
  )
}
