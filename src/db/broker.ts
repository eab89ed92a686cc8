import type { Database } from "bun:sqlite"
import { badRequest, conflict, notFound } from "../errors"
import { OPERATOR, type Store as Agents } from "./agents"
import type { Store as Events } from "./events"
import { keysetPage } from "./entity"

export type Message = { id: number; sender: string; recipient: string; body: string; sent_at: number; delivered_at: number | null }
/** `withdrawn`: the request went away before anyone resolved it here (a Claude Code prompt answered at the terminal, or past its deadline). */
export type ApprovalStatus = "pending" | "approved" | "denied" | "failed" | "withdrawn"
export type Approval = {
  id: string
  agent: string
  kind: string
  ref: string | null
  note: string | null
  status: ApprovalStatus
  requested_at: number
  resolved_at: number | null
  resolution_note: string | null
  /** A Claude Code session's permission prompt: the session (its name is the approval's agent). */
  session_id: string | null
  /** After this nobody can resolve it here: it is withdrawn. */
  deadline_at: number | null
}
export type Question = {
  id: string
  asker: string
  target: string | null
  question: string
  options: string[]
  multi: boolean
  status: "open" | "answered" | "timed_out"
  asked_at: number
  deadline_at: number | null
  answered_at: number | null
  answer: string | string[] | null
}
type QuestionRow = Omit<Question, "options" | "multi" | "answer"> & { options: string; multi: number; answer: string | null }

const decodeQuestion = (r: QuestionRow): Question => ({
  ...r,
  options: JSON.parse(r.options),
  multi: r.multi === 1,
  answer: r.answer === null ? null : JSON.parse(r.answer),
})

/**
 * Messages, approvals and questions: the broker's three state machines. Every party must be the operator
 * or an agent that exists and is not destroyed; the broker checks that itself, whoever calls it.
 */
export class Broker {
  readonly #send
  readonly #inbox
  readonly #ack
  readonly #history
  readonly #pruneDelivered
  readonly #request
  readonly #approval
  readonly #approvals
  readonly #resolvedRecently
  readonly #resolve
  readonly #withdrawHeld
  readonly #ask
  readonly #question
  readonly #questions
  readonly #answer
  readonly #timeOut

  constructor(
    db: Database,
    readonly agents: Agents,
    readonly events: Pick<Events, "append">,
  ) {
    const mCols = "id, sender, recipient, body, sent_at, delivered_at"
    this.#send = db.query<Message, [string, string, string, number]>(
      `INSERT INTO messages (sender, recipient, body, sent_at) VALUES (?, ?, ?, ?) RETURNING ${mCols}`,
    )
    this.#inbox = db.query<Message, [string, number, number]>(
      `SELECT ${mCols} FROM messages WHERE recipient = ? AND delivered_at IS NULL AND id > ? ORDER BY id LIMIT ?`,
    )
    this.#ack = db.query("UPDATE messages SET delivered_at = ?1 WHERE recipient = ?2 AND id <= ?3 AND delivered_at IS NULL")
    this.#history = db.query<Message, [string, string, number, number]>(
      `SELECT ${mCols} FROM messages WHERE ((sender = ?1 AND recipient = ?2) OR (sender = ?2 AND recipient = ?1)) AND id > ?3 ORDER BY id LIMIT ?4`,
    )
    this.#pruneDelivered = db.query("DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE delivered_at IS NOT NULL AND delivered_at < ? LIMIT ?)")

    const aCols = "id, agent, kind, ref, note, status, requested_at, resolved_at, resolution_note, session_id, deadline_at"
    this.#request = db.query<Approval, [string, string, string, string | null, string | null, number, string | null, number | null]>(
      `INSERT INTO approvals (id, agent, kind, ref, note, requested_at, session_id, deadline_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${aCols}`,
    )
    this.#approval = db.query<Approval, [string]>(`SELECT ${aCols} FROM approvals WHERE id = ?`)
    this.#approvals = db.query<Approval, [string, string, string, string, number]>(
      `SELECT ${aCols} FROM approvals WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR agent = ?2) AND (?3 = '' OR session_id = ?3) AND id > ?4 ORDER BY id LIMIT ?5`,
    )
    this.#resolvedRecently = db.query<Approval, [number]>(`SELECT ${aCols} FROM approvals WHERE status != 'pending' ORDER BY resolved_at DESC, id DESC LIMIT ?`)
    this.#resolve = db.query<Approval, [string, number, string | null, string]>(
      `UPDATE approvals SET status = ?, resolved_at = ?, resolution_note = ? WHERE id = ? AND status = 'pending' RETURNING ${aCols}`,
    )

    this.#withdrawHeld = db.query(
      "UPDATE approvals SET status = 'withdrawn', resolved_at = ?, resolution_note = ? WHERE status = 'pending' AND session_id IS NOT NULL",
    )

    const qCols = "id, asker, target, question, options, multi, status, asked_at, deadline_at, answered_at, answer"
    this.#ask = db.query<QuestionRow, [string, string, string | null, string, string, number, number, number | null]>(
      `INSERT INTO questions (id, asker, target, question, options, multi, asked_at, deadline_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${qCols}`,
    )
    this.#question = db.query<QuestionRow, [string]>(`SELECT ${qCols} FROM questions WHERE id = ?`)
    this.#questions = db.query<QuestionRow, [string, string, string, number]>(
      `SELECT ${qCols} FROM questions WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR coalesce(target, 'operator') = ?2) AND id > ?3 ORDER BY id LIMIT ?4`,
    )
    this.#answer = db.query<QuestionRow, [string, number, string]>(
      `UPDATE questions SET status = 'answered', answer = ?, answered_at = ? WHERE id = ? AND status = 'open' RETURNING ${qCols}`,
    )
    this.#timeOut = db.query("UPDATE questions SET status = 'timed_out' WHERE status = 'open' AND deadline_at IS NOT NULL AND deadline_at <= ?")
  }

  send(sender: string, recipient: string, body: string, now = Date.now()): Message {
    this.agents.assertReachable(sender)
    this.agents.assertReachable(recipient)
    return this.#send.get(sender, recipient, body, now)!
  }

  /** Undelivered messages, oldest first; they stay undelivered until acknowledged. */
  inbox(recipient: string, opts: { limit?: number; cursor?: string }) {
    return keysetPage(
      opts.limit,
      (n) => this.#inbox.all(recipient, Number(opts.cursor ?? 0) || 0, n),
      (m) => m.id,
    )
  }

  /** Marks everything up to `upTo` in the recipient's inbox delivered; returns how many. */
  acknowledge(recipient: string, upTo: number, now = Date.now()) {
    return this.#ack.run(now, recipient, upTo).changes
  }

  /** Deletes up to `limit` messages delivered before `before`; undelivered ones are never touched. */
  pruneDelivered(before: number, limit: number) {
    return this.#pruneDelivered.run(before, limit).changes
  }

  history(a: string, b: string, opts: { limit?: number; cursor?: string }) {
    return keysetPage(
      opts.limit,
      (n) => this.#history.all(a, b, Number(opts.cursor ?? 0) || 0, n),
      (m) => m.id,
    )
  }

  requestApproval(input: { agent: string; kind: string; ref?: string | null; note?: string | null }, now = Date.now()) {
    this.agents.assertReachable(input.agent)
    const row = this.#request.get(Bun.randomUUIDv7(), input.agent, input.kind, input.ref ?? null, input.note ?? null, now, null, null)!
    this.#changed("approval.requested", row, row.agent, now)
    return row
  }

  /**
   * An approval a Claude Code session's permission prompt opens. Its agent is `session:<name>`: never a broker
   * agent's name (those have no colon), so no agent reads it as its own or is told of it. Past `deadlineAt`
   * it can only be withdrawn.
   */
  requestForSession(
    session: { id: string; name: string },
    input: { kind: string; ref: string | null; note: string | null; deadlineAt: number | null },
    now = Date.now(),
  ) {
    const row = this.#request.get(Bun.randomUUIDv7(), `session:${session.name}`, input.kind, input.ref, input.note, now, session.id, input.deadlineAt)!
    this.#changed("approval.requested", row, null, now)
    return row
  }

  /** Settles an approval hive itself decided (a pattern allowed it): requested and approved in one. */
  approvedBy(approval: Approval, note: string, now = Date.now()) {
    const row = this.#resolve.get("approved", now, note, approval.id)!
    this.#changed("approval.resolved", row, null, now)
    return row
  }

  /** pending -> withdrawn: nobody here can resolve it any more. Undefined when it was resolved first. */
  withdrawApproval(id: string, note: string, now = Date.now()): Approval | undefined {
    const row = this.#resolve.get("withdrawn", now, note, id) ?? undefined
    if (row) this.#changed("approval.resolved", row, null, now)
    return row
  }

  /**
   * Every pending permission prompt's approval, withdrawn: only a running server holds their requests, so at
   * its start none is still waiting (Claude Code asked at its own prompt when the last server stopped).
   */
  withdrawHeldApprovals(note: string, now = Date.now()) {
    return this.#withdrawHeld.run(now, note).changes
  }

  approval(id: string) {
    const row = this.#approval.get(id)
    if (!row) throw notFound("approval", id)
    return row
  }

  /** The approvals settled last (approved, denied, withdrawn), newest first: a phone's history. */
  resolvedRecently(limit: number): Approval[] {
    return this.#resolvedRecently.all(limit)
  }

  approvals(filter: { status?: ApprovalStatus; agent?: string; session_id?: string; limit?: number; cursor?: string }) {
    return keysetPage(
      filter.limit,
      (n) => this.#approvals.all(filter.status ?? "", filter.agent ?? "", filter.session_id ?? "", filter.cursor ?? "", n),
      (a) => a.id,
    )
  }

  /**
   * pending -> approved | denied | failed, once; anything else is a 409 naming the current state. The agent
   * that asked is told in its inbox, so a harness that reads only its inbox learns the outcome too.
   */
  resolveApproval(id: string, status: Exclude<ApprovalStatus, "pending" | "withdrawn">, note: string | null, now = Date.now()) {
    const row = this.#resolve.get(status, now, note, id)
    if (row) {
      this.#changed("approval.resolved", row, row.agent, now)
      this.#tell(row.agent, { type: "approval", id: row.id, kind: row.kind, ref: row.ref, status: row.status, note: row.resolution_note }, now)
      return row
    }
    const current = this.#approval.get(id)
    if (!current) throw notFound("approval", id)
    throw conflict(`approval ${id} is already ${current.status}`)
  }

  /** No target (or the operator) asks the operator; a named agent also gets the question in its inbox. */
  ask(input: { asker: string; target: string | null; question: string; options: string[]; multi: boolean; deadlineAt: number | null }, now = Date.now()) {
    if (new Set(input.options).size !== input.options.length) throw badRequest('field "options": an option appears twice')
    const target = input.target && input.target !== OPERATOR ? input.target : null
    this.agents.assertReachable(input.asker)
    const q = decodeQuestion(
      this.#ask.get(Bun.randomUUIDv7(), input.asker, target, input.question, JSON.stringify(input.options), input.multi ? 1 : 0, now, input.deadlineAt)!,
    )
    this.#changed("question.asked", q, q.asker, now)
    // Like any message, so the peer's harness sees it on its next turn.
    if (target)
      this.send(
        input.asker,
        target,
        JSON.stringify({ type: "question", id: q.id, question: q.question, options: q.options, multi: q.multi, deadline_at: q.deadline_at }),
        now,
      )
    return q
  }

  /** Questions past their deadline become timed_out: a state of their own, never an answer or a denial. */
  timeOutQuestions(now = Date.now()) {
    return this.#timeOut.run(now).changes
  }

  question(id: string, now = Date.now()) {
    this.timeOutQuestions(now)
    const row = this.#question.get(id)
    if (!row) throw notFound("question", id)
    return decodeQuestion(row)
  }

  /** The question as stored, without first timing out those past their deadline (a read, never a write). */
  peekQuestion(id: string): Question {
    const row = this.#question.get(id)
    if (!row) throw notFound("question", id)
    return decodeQuestion(row)
  }

  questions(filter: { status?: Question["status"]; target?: string; limit?: number; cursor?: string }, now = Date.now()) {
    this.timeOutQuestions(now)
    return keysetPage(
      filter.limit,
      (n) => this.#questions.all(filter.status ?? "", filter.target ?? "", filter.cursor ?? "", n).map(decodeQuestion),
      (q) => q.id,
    )
  }

  /** Validated against the options: one of them, or (multi) a non-empty set of distinct ones. */
  answer(id: string, value: string | string[], now = Date.now()) {
    const q = this.question(id, now)
    if (q.status !== "open")
      throw conflict(q.status === "timed_out" ? `question ${id} timed out at ${new Date(q.deadline_at!).toISOString()}` : `question ${id} is already answered`)
    const picked = Array.isArray(value) ? value : [value]
    if (!q.multi && (Array.isArray(value) || picked.length !== 1)) throw badRequest('field "answer": this question takes exactly one answer')
    if (picked.length === 0) throw badRequest('field "answer": choose at least one option')
    if (new Set(picked).size !== picked.length) throw badRequest('field "answer": an option is chosen twice')
    if (q.options.length) {
      const unknown = picked.filter((p) => !q.options.includes(p))
      if (unknown.length) throw badRequest(`field "answer": ${JSON.stringify(unknown[0])} is not one of the options (${q.options.join(", ")})`)
    }
    const answered = decodeQuestion(this.#answer.get(JSON.stringify(value), now, id)!)
    this.#changed("question.answered", answered, answered.asker, now)
    // The asker hears the answer in its inbox, from whoever was asked (seed 002's question -> answer round trip).
    this.#tell(
      answered.asker,
      { type: "answer", question_id: answered.id, question: answered.question, answer: answered.answer },
      now,
      answered.target ?? OPERATOR,
    )
    return answered
  }

  /**
   * Every change of an approval or a question is also an event (`approval.requested`, `approval.resolved`,
   * `question.asked`, `question.answered`), in the same transaction, so a phone or a desk on the event stream
   * sees it at once. Only the id and the status travel: the rest is read from its own route, which checks who
   * may see it.
   */
  #changed(kind: string, row: { id: string; status: string; session_id?: string | null }, agent: string | null, now: number) {
    this.events.append(
      { kind, agent: row.session_id ? null : agent, session_id: row.session_id ?? null, ts: now, payload: { id: row.id, status: row.status } },
      now,
    )
  }

  /** A message from hive's broker to an agent; none to the operator (it reads the queues) or to a destroyed agent. */
  #tell(agent: string, body: Record<string, unknown>, now: number, from = OPERATOR) {
    if (agent === OPERATOR || this.agents.find(agent)?.status !== "active") return
    this.#send.get(from, agent, JSON.stringify(body), now)
  }
}

export const create = (db: Database, agents: Agents, events: Pick<Events, "append">) => new Broker(db, agents, events)

export type Store = Broker
