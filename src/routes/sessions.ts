import type { Hive } from "../hive"
import { Elysia, t } from "elysia"
import * as Sessions from "../db/sessions"
import { DEFAULT_LIMIT, MAX_LIMIT } from "../db/entity"
import { readTranscript, subagentTranscriptPath, subagentTranscripts, transcriptPath } from "../transcripts/read"
import { indexTranscript } from "../transcripts/index"
import { transcriptTurns } from "../transcripts/turns"
import { Body, Id, Int, Json, Millis, Nullable, OneOf, Listing, Page, Pid, Query, Text } from "./schemas"
import { conflict } from "../errors"
import { runTyping, typingFor } from "../hooks/typing"
import { replyToken } from "./reply-tokens"

const optional = {
  project_id: t.Optional(Nullable(Text(128, 1))),
  agent_session_id: t.Optional(Nullable(Text(256, 1))),
  name: t.Optional(Text(500)),
  action_type: t.Optional(Nullable(OneOf(Sessions.ACTION_TYPES))),
  status: t.Optional(OneOf(Sessions.STATUSES)),
  metadata: t.Optional(Json),
  pid: t.Optional(Nullable(Pid(0))),
  ppid: t.Optional(Nullable(Pid(0))),
  start_time: t.Optional(Nullable(Int({ minimum: 0 }))),
  cwd: t.Optional(Nullable(Text(4096))),
  label: t.Optional(Nullable(Text(500))),
  notify: t.Optional(t.Boolean()),
  transport_kind: t.Optional(OneOf(Sessions.TRANSPORTS)),
  transport_details: t.Optional(Json),
  state: t.Optional(Text(64, 1)),
  transcript_path: t.Optional(Nullable(Text(4096))),
  expires_at: t.Optional(Nullable(Millis)),
  parent_session_id: t.Optional(Nullable(Text(128, 1))),
  start_source: t.Optional(Nullable(Text(64))),
  end_reason: t.Optional(Nullable(Text(64))),
  permission_mode: t.Optional(Nullable(Text(64))),
  model: t.Optional(Nullable(Text(200))),
  unattended_since: t.Optional(Nullable(Millis)),
}
const SessionBody = Body(optional)

const SessionQuery = t.Object({
  ...Page,
  ...Listing,
  project_id: t.Optional(Query.text("project_id", 128)),
  status: t.Optional(Query.oneOf("status", Sessions.STATUSES)),
  action_type: t.Optional(Query.oneOf("action_type", Sessions.ACTION_TYPES)),
  ppid: t.Optional(Query.int("ppid")),
  notify: t.Optional(Query.bool("notify")),
  state: t.Optional(Query.text("state", 64)),
  agent_session_id: t.Optional(Query.text("agent_session_id", 256)),
  parent_session_id: t.Optional(Query.text("parent_session_id", 128)),
  permission_mode: t.Optional(Query.text("permission_mode", 64)),
  start_source: t.Optional(Query.text("start_source", 64)),
  end_reason: t.Optional(Query.text("end_reason", 64)),
})

/** What a person may type: text, tabs and newlines, no other control characters (an Escape would drive the terminal). */
const Typed = t.String({
  minLength: 1,
  maxLength: 64 * 1024,
  pattern: "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$",
  error: 'field "text": 1 to 65536 characters, no control characters but tab and newline',
})

export const ReplyBody = Body({ text: Typed, enter: t.Optional(t.Boolean()), force: t.Optional(t.Boolean()) })

/**
 * Types a reply into a session waiting for input (the admin API's and the phone's route): 409 when it is not
 * there, not waiting (unless forced), or runs where hive cannot type.
 */
export async function typeReply(
  { stores: { sessions, events }, commit }: { stores: Pick<Hive["stores"], "sessions" | "events">; commit: Hive["commit"] },
  id: string,
  body: { text: string; enter?: boolean; force?: boolean },
) {
  const session = sessions.get(id)
  if (session.state !== "active") throw conflict(`session ${session.id} is ${session.state}: there is nothing to type into`)
  if (!body.force && session.status !== "idle" && session.status !== "awaiting_input")
    throw conflict(`session ${session.id} is ${session.status}, not waiting for input; send "force": true to type anyway`)
  const typing = typingFor(session, body.text, body.enter ?? true)
  // Whoever replies from elsewhere is not at the terminal: marked before typing, so the prompt's own hook
  // (which may come first) sees it; and taken back if nothing was typed, as a refusal changes nothing.
  await commit.run(() => sessions.update(session.id, { unattended_since: Date.now() }))
  const typed = await runTyping(typing).catch(async (err) => {
    await commit.run(() => sessions.update(session.id, { unattended_since: session.unattended_since }))
    throw err
  })
  // What was typed is Claude Code's to record (its UserPromptSubmit); hive notes that it typed.
  await commit.run(() => events.append({ kind: "hive.input", session_id: session.id, payload: { ...typed, forced: body.force === true } }))
  return typed
}

export const sessions = ({
  stores: { sessions: store, search, events, sessionTokens: replies },
  commit,
  config: { claudeDir },
}: Pick<Hive, "stores" | "commit" | "config">) =>
  new Elysia({ name: "routes.sessions", prefix: "/sessions", detail: { tags: ["sessions"] } })
    .post(
      "",
      async ({ body, status }) => {
        const { session, created } = await commit.run(() => store.register(body))
        return status(created ? 201 : 200, session)
      },
      {
        body: SessionBody,
        detail: {
          summary: "Register a session",
          description:
            "Add or update: a session whose `agent_session_id` hive already has is updated with the fields sent (200); otherwise it is created (201).",
        },
      },
    )
    .get(
      "",
      ({ query: { limit, cursor, order, count, ...filter } }) =>
        // The notify list is of sessions still there: a dead or ended one has nobody to tell.
        store.list(filter.notify === true && filter.state === undefined ? { ...filter, state: "active" } : filter, { limit, cursor, order, count }),
      {
        query: SessionQuery,
        detail: {
          summary: "List sessions",
          description:
            "Oldest first; `order=desc` for the newest first; `count=true` adds `total`, every session the filters match. `notify=true` lists active sessions only (unless `state` says otherwise).",
        },
      },
    )
    .get("/:id", ({ params }) => store.get(params.id), { params: Id })
    .patch("/:id", ({ params, body }) => commit.run(() => store.update(params.id, body)), { params: Id, body: SessionBody })
    .get(
      "/:id/transcript",
      ({ params, query }) => {
        const own = transcriptPath(store.get(params.id), claudeDir)
        const path = query.agent === undefined ? own : subagentTranscriptPath(own, query.agent)
        return readTranscript(path, query.cursor ?? 0, Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT))
      },
      {
        params: Id,
        query: t.Object({
          cursor: t.Optional(Query.int("cursor")),
          limit: t.Optional(Query.int("limit", 1)),
          agent: t.Optional(Query.text("agent", 128)),
        }),
        detail: {
          description:
            "The session's Claude Code JSONL transcript, a page at a time: `entries` (each with its byte `offset`; a malformed line is an entry with `error` and `raw`), `next_cursor` (a byte offset), `done`. `agent=<agent_id>`: a subagent's transcript instead (see `/subagents`). 404 when the file is missing.",
        },
      },
    )
    .get(
      "/:id/turns",
      ({ params, query }) => {
        const own = transcriptPath(store.get(params.id), claudeDir)
        return transcriptTurns(query.agent === undefined ? own : subagentTranscriptPath(own, query.agent))
      },
      {
        params: Id,
        query: t.Object({ agent: t.Optional(Query.text("agent", 128)) }),
        detail: {
          summary: "The session's turn stats, from its transcript",
          description:
            "Each turn (a prompt and what the model did until the next one) of the session's transcript, or with `agent=` a subagent's: its time, tokens (each model message counted once), models and tool calls by name, and `totals`. Read from the last 32 MiB of the file (`from_offset` says where). 404 when the file is missing.",
        },
      },
    )
    .get("/:id/subagents", ({ params }) => ({ items: subagentTranscripts(transcriptPath(store.get(params.id), claudeDir)) }), {
      params: Id,
      detail: {
        summary: "The session's subagents with a transcript",
        description:
          "Each subagent (Agent tool) whose transcript Claude Code kept beside the session's: `agent_id` (read it with `transcript?agent=`), `bytes`, `modified_at`.",
      },
    })
    .post("/:id/transcript/index", ({ params }) => indexTranscript(search, params.id, transcriptPath(store.get(params.id), claudeDir)), {
      params: Id,
      detail: {
        description:
          'Makes the session\'s transcript text searchable (kind "transcript" in /api/search). Run it again to add what was written since: it resumes where it stopped.',
      },
    })
    .post("/:id/input", ({ params, body }) => typeReply({ stores: { sessions: store, events }, commit }, params.id, body), {
      params: Id,
      body: ReplyBody,
      detail: {
        summary: "Type a reply into a waiting session",
        description:
          "Types `text` (then Enter, unless `enter: false`) into the session's terminal: `tmux send-keys` to its recorded pane, or `nvim --remote-send`. 409 when it is not active, not waiting for input (`idle` or `awaiting_input`; `force: true` types anyway), or runs where hive cannot type (a bare tty).",
      },
    })
    .post(
      "/:id/reply-tokens",
      async ({ params, body, status }) => {
        const session = store.get(params.id)
        if (!session.agent_session_id) throw conflict(`session ${session.id} has no Claude Code session id to route replies to`)
        const token = body.token ?? replyToken()
        const row = await commit.run(() => replies.issue(token, session.agent_session_id!, body.chat_id ?? null))
        return status(201, { token, session_id: session.id, chat_id: row.chat_id, expires_at: row.expires_at })
      },
      {
        params: Id,
        body: Body({
          chat_id: t.Optional(Nullable(Int({ minimum: -Number.MAX_SAFE_INTEGER }))),
          token: t.Optional(t.String({ pattern: "^[A-Za-z0-9_-]{8,128}$", error: 'field "token": 8 to 128 of A-Z a-z 0-9 _ -' })),
        }),
        detail: {
          summary: "A reply token for a session",
          description:
            "A 24-hour token a chat or mail bridge puts in its message (seed 003), with the bridge's `chat_id`; `POST /api/reply-tokens/lookup` finds the session again. The token is shown here once and stored only as its SHA-256. Give `token` to use your own.",
        },
      },
    )
    .delete("/:id", async ({ params, status }) => status(204, await commit.run(() => store.remove(params.id))), { params: Id })
