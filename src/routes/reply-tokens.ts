import { Elysia, t } from "elysia"
import { notFound } from "../errors"
import type { Hive } from "../hive"
import { Body } from "./schemas"

/** 12 characters a person can read back from a chat message: upper-case letters and digits, no 0/O or 1/I. */
export function replyToken(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("")
}

/** Looking a session up by the reply token a bridge got back in a reply. */
export const replyTokens = ({ stores: { sessionTokens, sessions } }: Pick<Hive, "stores">) =>
  new Elysia({ name: "routes.reply-tokens", prefix: "/reply-tokens", detail: { tags: ["sessions"] } }).post(
    "/lookup",
    ({ body }) => {
      const row = sessionTokens.find(body.token)
      const session = row ? sessions.byAgentSession(row.agent_session_id) : undefined
      // One answer for unknown, expired and orphaned: a guesser learns nothing from which it was.
      if (!row || !session) throw notFound("reply token", "(as given)")
      return { session, chat_id: row.chat_id, created_at: row.created_at, expires_at: row.expires_at }
    },
    {
      body: Body({ token: t.String({ pattern: "^[A-Za-z0-9_-]{1,128}$", error: 'field "token": a reply token' }) }),
      detail: {
        summary: "The session of a reply token",
        description:
          "The session a reply token routes to, with its `chat_id`, while it has not expired (24 h). The token travels in the body, never in a URL a log or a proxy keeps.",
      },
    },
  )
