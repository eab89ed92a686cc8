import { type TSchema, t } from "elysia"

// What every route answers, for the OpenAPI documents (src/openapi.ts adds them to each operation) and for the
// tests, which check every answer the fuzz gets against them (test/routes/fuzz-harness.ts). They are not
// checked at run time: a request never pays for it, and the tests fail on any drift. Rows refuse unknown fields.

const Row = <T extends Record<string, TSchema>>(props: T) => t.Object(props, { additionalProperties: false })
const N = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()])
const S = t.String()
const I = t.Integer()
const Millis = t.Integer({ minimum: 0 })
const Json = t.Record(t.String(), t.Unknown())
const One = (values: readonly string[]) => t.Union(values.map((v) => t.Literal(v)))
const Page = (item: TSchema) => Row({ items: t.Array(item), next_cursor: N(S), total: t.Optional(I) })
const Items = (item: TSchema) => Row({ items: t.Array(item) })

const TurnCounts = {
  input_tokens: I,
  output_tokens: I,
  cache_read_tokens: I,
  cache_creation_tokens: I,
  tool_calls: I,
  tools: t.Record(S, I),
}

const Counts = Row({ inserted: I, unchanged: I, replaced: I, skipped: I, failed: I, unreadable: I })
/** `hive import --json`'s report, which POST /api/import answers too. */
const CLI_IMPORT_REPORT = Row({
  file: S,
  records: I,
  exported_at: Millis,
  schema: I,
  mode: One(["skip", "replace"]),
  tables: t.Record(S, Counts),
  files: Row({ written: I, unchanged: I, skipped: I, failed: I }),
  missing_files: t.Array(S),
  failures: t.Array(S),
})

export const ErrorBody = Row({ error: Row({ code: S, message: S }) })

const Project = Row({ id: S, name: S, directory: S, settings: Json, created_at: Millis, updated_at: Millis })
const Session = Row({
  id: S,
  project_id: N(S),
  agent_session_id: N(S),
  name: S,
  action_type: N(One(["research", "plan", "implement", "freeform"])),
  status: One(["idle", "running", "awaiting_input", "error"]),
  metadata: Json,
  pid: N(I),
  ppid: N(I),
  start_time: N(I),
  cwd: N(S),
  label: N(S),
  notify: t.Boolean(),
  transport_kind: One(["tmux", "nvim", "pty", "unknown"]),
  transport_details: Json,
  state: S,
  transcript_path: N(S),
  created_at: Millis,
  updated_at: Millis,
  expires_at: N(Millis),
  parent_session_id: N(S),
  start_source: N(S),
  end_reason: N(S),
  permission_mode: N(S),
  model: N(S),
  unattended_since: N(Millis),
})
const Typed = Row({ transport: One(["tmux", "nvim"]), chars: I, enter: t.Boolean() })
const Worktree = Row({ id: S, project_id: S, path: S, branch: S, description: N(S), created_at: Millis, updated_at: Millis })
const Preference = Row({ key: S, value: t.Unknown(), updated_at: N(Millis), default: t.Boolean() })
const SecretMeta = Row({ name: S, key_id: S, size: I, created_at: Millis, updated_at: Millis })
const Written = Row({ name: S, path: S })
const OAuthMeta = Row({
  forge: S,
  key_id: S,
  expires_at: N(Millis),
  scope: N(S),
  account: N(S),
  created_at: Millis,
  updated_at: Millis,
  has_refresh_token: t.Boolean(),
})
const OAuthTokens = Row({ ...OAuthMeta.properties, access_token: S, refresh_token: N(S) })
const SdkSession = Row({ key: S, session_id: S, last_used_at: Millis, created_at: Millis })
const AuditEntry = Row({ id: I, at: Millis, action: S, subject: S, actor: S, detail: Json, imported_at: N(Millis) })
const Agent = Row({ name: S, model: S, status: One(["active", "destroyed"]), created_at: Millis, updated_at: Millis, destroyed_at: N(Millis) })
const Message = Row({ id: I, sender: S, recipient: S, body: S, sent_at: Millis, delivered_at: N(Millis) })
const Approval = Row({
  id: S,
  agent: S,
  kind: S,
  ref: N(S),
  note: N(S),
  status: One(["pending", "approved", "denied", "failed", "withdrawn"]),
  requested_at: Millis,
  resolved_at: N(Millis),
  resolution_note: N(S),
  session_id: N(S),
  deadline_at: N(Millis),
})
const Question = Row({
  id: S,
  asker: S,
  target: N(S),
  question: S,
  options: t.Array(S),
  multi: t.Boolean(),
  status: One(["open", "answered", "timed_out"]),
  asked_at: Millis,
  deadline_at: N(Millis),
  answered_at: N(Millis),
  answer: N(t.Union([S, t.Array(S)])),
})
const Command = Row({
  id: S,
  target: S,
  payload: t.Unknown(),
  enqueued_at: Millis,
  claimed_at: N(Millis),
  lease_until: N(Millis),
  acked_at: N(Millis),
  attempts: I,
})
const Event = Row({
  id: I,
  ts: Millis,
  agent: N(S),
  session_id: N(S),
  kind: S,
  payload: t.Unknown(),
  tool_name: N(S),
  tool_use_id: N(S),
  subagent_id: N(S),
  notification_type: N(S),
})
const Hit = Row({ kind: One(["event", "message", "question", "session", "transcript"]), id: S, session_id: N(S), snippet: S, rank: t.Number() })
const Device = Row({ id: S, name: N(S), platform: N(S), user_agent: N(S), paired_at: Millis, last_seen_at: N(Millis), revoked_at: N(Millis) })
const Summary = Row({
  key: S,
  turns: I,
  input_tokens: I,
  output_tokens: I,
  cache_read_tokens: I,
  cache_creation_tokens: I,
  total_duration_ms: I,
  p95_duration_ms: I,
  top_tools: t.Array(Row({ tool: S, calls: I })),
})
const JobRun = Row({
  id: I,
  job: S,
  started_at: Millis,
  finished_at: N(Millis),
  rows_affected: N(I),
  error: N(S),
  pid: I,
  trigger: One(["schedule", "manual"]),
})
const TokenView = Row({
  id: S,
  name: S,
  scope: One(["admin", "agent", "hooks", "read"]),
  agent: N(S),
  key_id: N(S),
  created_at: Millis,
  expires_at: Millis,
  revoked_at: N(Millis),
  status: One(["active", "revoked", "expired"]),
})
const Backup = Row({ name: S, label: S, encrypted: t.Boolean(), bytes: I, created_at: Millis, artifacts_bytes: N(I) })
const JobProgress = Row({ done: I, fraction: N(t.Number({ minimum: 0, maximum: 1 })), phase: N(S), updated_at: Millis })
const JobStatus = Row({ name: S, description: S, schedule: S, next_run_at: I, running: t.Boolean(), progress: N(JobProgress), last_run: N(JobRun) })
const RunResult = Row({ job: S, rows_affected: N(I), error: N(S), started_at: Millis, finished_at: Millis })
const DeskSession = Row({ name: S, scope: One(["admin", "agent", "hooks", "read"]), agent: N(S), expires_at: Millis, csrf: S })
const Tunnel = Row({
  status: One(["connecting", "up", "down"]),
  reason: N(S),
  since: Millis,
  public_url: N(S),
  subdomain_source: N(One(["install", "preference", "random"])),
  reconnects: I,
  updated_at: N(Millis),
})
const Artifact = Row({
  id: S,
  session_id: S,
  type: S,
  name: N(S),
  content_type: S,
  size: I,
  stored_size: I,
  encoding: One(["identity", "gzip"]),
  sha256: S,
  path: S,
  created_at: Millis,
})
const TranscriptEntry = t.Union([Row({ offset: I, entry: t.Unknown() }), Row({ offset: I, error: S, raw: S })])

type Content = TSchema | { media: string; description: string } | null
/** By `METHOD /path` as the document names it: each answer a route gives (null: no body). */
export const RESPONSES: Record<string, Record<number, Content>> = {
  "GET /health": {
    200: Row({ status: S, version: S, schema_version: N(I), database: S }),
    503: Row({ status: S, version: S, schema_version: N(I), database: S }),
  },
  "GET /openapi": { 200: t.Object({ openapi: S, paths: Json }) },
  "GET /openapi/phone": { 200: t.Object({ openapi: S, paths: Json }) },

  "GET /": { 200: { media: "text/html", description: "The desk" } },
  "GET /icon.svg": { 200: { media: "image/svg+xml", description: "The desk's icon" } },
  // 401: a link used already or expired, or a token refused.
  "POST /desk/session": { 201: DeskSession, 401: ErrorBody },
  "GET /desk/session": { 200: DeskSession, 401: ErrorBody },
  "DELETE /desk/session": { 204: null, 403: ErrorBody },
  "POST /api/projects": { 201: Project },
  "GET /api/projects": { 200: Page(Project) },
  "GET /api/projects/{id}": { 200: Project },
  "PATCH /api/projects/{id}": { 200: Project },
  "DELETE /api/projects/{id}": { 204: null },

  "POST /api/sessions": { 200: Session, 201: Session },
  "GET /api/sessions": { 200: Page(Session) },
  "GET /api/sessions/{id}": { 200: Session },
  "PATCH /api/sessions/{id}": { 200: Session },
  "DELETE /api/sessions/{id}": { 204: null },
  "GET /api/sessions/{id}/transcript": { 200: Row({ entries: t.Array(TranscriptEntry), next_cursor: I, size: I, done: t.Boolean() }) },
  "POST /api/sessions/{id}/input": { 200: Typed },
  "POST /api/sessions/{id}/reply-tokens": { 201: Row({ token: S, session_id: S, chat_id: N(I), expires_at: Millis }) },
  "POST /api/reply-tokens/lookup": { 200: Row({ session: Session, chat_id: N(I), created_at: Millis, expires_at: Millis }) },
  "GET /api/sessions/{id}/subagents": { 200: Items(Row({ agent_id: S, bytes: I, modified_at: Millis })) },
  "POST /api/sessions/{id}/transcript/index": {
    200: Row({
      indexed_entries: I,
      indexed_to: I,
      total: I,
      subagents: t.Array(Row({ agent_id: S, indexed_entries: I, indexed_to: I, total: I })),
    }),
  },

  "POST /api/worktrees": { 201: Worktree },
  "GET /api/worktrees": { 200: Page(Worktree) },
  "GET /api/worktrees/{id}": { 200: Worktree },
  "PATCH /api/worktrees/{id}": { 200: Worktree },
  "DELETE /api/worktrees/{id}": { 204: null },

  "GET /api/preferences": { 200: Json },
  "GET /api/preferences/{key}": { 200: Preference },
  "PUT /api/preferences/{key}": { 200: Preference },
  "DELETE /api/preferences/{key}": { 204: null },

  "GET /api/secrets": { 200: Page(SecretMeta) },
  "POST /api/secrets/materialize": { 200: Row({ written: t.Array(Written), skipped: t.Array(Row({ name: S, reason: S })) }) },
  "GET /api/secrets/{name}": { 200: SecretMeta },
  "PUT /api/secrets/{name}": { 200: SecretMeta },
  "DELETE /api/secrets/{name}": { 204: null },
  "GET /api/secrets/{name}/value": { 200: Row({ name: S, value: S, encoding: One(["utf8", "base64"]) }) },
  "POST /api/secrets/{name}/materialize": { 200: Written },

  "GET /api/oauth": { 200: Page(OAuthMeta) },
  "GET /api/oauth/{forge}": { 200: OAuthMeta },
  "PUT /api/oauth/{forge}": { 200: OAuthMeta },
  "DELETE /api/oauth/{forge}": { 204: null },
  "GET /api/oauth/{forge}/tokens": { 200: OAuthTokens },

  "GET /api/sdk-sessions": { 200: Page(SdkSession) },
  "POST /api/sdk-sessions/prune": { 200: Row({ deleted: I }) },
  "GET /api/sdk-sessions/{key}": { 200: SdkSession },
  "PUT /api/sdk-sessions/{key}": { 200: SdkSession },
  "DELETE /api/sdk-sessions/{key}": { 204: null },
  "POST /api/sdk-sessions/{key}/touch": { 200: SdkSession },

  "GET /api/audit": { 200: Page(AuditEntry) },

  "POST /api/agents": { 201: Agent },
  "GET /api/agents": { 200: Page(Agent) },
  "GET /api/agents/{name}": { 200: Agent },
  "PATCH /api/agents/{name}": { 200: Agent },
  "DELETE /api/agents/{name}": { 200: Agent, 204: null },
  "POST /api/agents/{name}/revive": { 200: Agent },

  "POST /api/messages": { 201: Message },
  "GET /api/messages/inbox/{recipient}": { 200: Page(Message) },
  "POST /api/messages/inbox/{recipient}/ack": { 200: Row({ acknowledged: I }) },
  "GET /api/messages/history/{a}/{b}": { 200: Page(Message) },

  "POST /api/approvals": { 201: Approval },
  "GET /api/approvals": { 200: Page(Approval) },
  "GET /api/approvals/{id}": { 200: Approval },
  "POST /api/approvals/{id}/resolve": { 200: Approval },

  "POST /api/questions": { 201: Question },
  "GET /api/questions": { 200: Page(Question) },
  "GET /api/questions/{id}": { 200: Question },
  "POST /api/questions/{id}/answer": { 200: Question },

  "POST /api/commands": { 200: Command, 201: Command },
  "GET /api/commands": { 200: Page(Command) },
  "POST /api/commands/claim": { 200: Command, 204: null },
  "POST /api/commands/{id}/ack": { 200: Command },
  "GET /api/commands/{id}": { 200: Command },

  "POST /api/events": { 201: Event },
  "GET /api/events": { 200: Page(Event) },
  "POST /api/events/batch": { 201: Row({ count: I, first_id: N(I), last_id: N(I) }) },
  "GET /api/events/stream": {
    200: { media: "text/event-stream", description: "Server-sent events: `id:` and `data:` (an event), heartbeats, `event: unauthorized` at the end" },
  },

  "POST /api/hooks/claude": { 201: Row({ session_id: S, event_id: I }) },
  "POST /api/hooks/claude/http": {
    200: Row({
      hookSpecificOutput: t.Optional(
        Row({
          hookEventName: t.Literal("PermissionRequest"),
          decision: t.Union([Row({ behavior: t.Literal("allow") }), Row({ behavior: t.Literal("deny"), message: S })]),
        }),
      ),
    }),
  },
  "GET /api/search": { 200: Row({ items: t.Array(Hit), next_cursor: N(S), events_not_indexed: I }) },
  "POST /api/pairing": { 201: Row({ id: S, url: S, code: S, expires_at: Millis }) },
  "GET /api/pairing/{id}/qr.svg": { 200: { media: "image/svg+xml", description: "The pairing URL as a QR code" } },
  "GET /api/devices": { 200: Page(Device) },
  "PATCH /api/devices/{id}": { 200: Device },
  "DELETE /api/devices/{id}": { 200: Device },
  "POST /api/stats/turns": { 201: Row({ id: I }) },
  "GET /api/stats/turns/summary": { 200: Items(Summary) },
  "GET /api/jobs": { 200: Items(JobStatus) },
  "POST /api/jobs/{name}/run": { 200: RunResult },
  "GET /api/retention": {
    200: Items(
      Row({
        name: One(["messagesMs", "eventsMs", "turnStatsMs", "sdkSessionsMs", "jobRunsMs", "sessionsMs"]),
        ms: Millis,
        source: One(["environment", "preference", "default"]),
        variable: S,
        preference: S,
      }),
    ),
  },
  "GET /api/retention/preview": {
    200: Row({
      name: One(["messagesMs", "eventsMs", "turnStatsMs", "sdkSessionsMs", "jobRunsMs", "sessionsMs"]),
      ms: Millis,
      before: I,
      rows: I,
      events: t.Optional(I),
    }),
  },
  "GET /api/doctor": {
    200: Row({
      findings: t.Array(Row({ level: One(["ok", "warn", "fail"]), check: S, what: S, fix: N(S) })),
      problems: I,
      ran_at: Millis,
      duration_ms: I,
    }),
  },
  "GET /api/export": { 200: { media: "application/x-ndjson", description: "The export file, as an attachment" }, 404: ErrorBody },
  "GET /api/import": { 200: Row({ running: t.Boolean(), progress: N(JobProgress) }) },
  "POST /api/import": { 200: CLI_IMPORT_REPORT, 413: ErrorBody, 415: ErrorBody },
  "GET /api/tokens": { 200: Items(TokenView) },
  "DELETE /api/tokens/{id}": { 200: TokenView },
  "GET /api/backups": { 200: Items(Backup) },
  "POST /api/backups/{name}/check": { 200: Row({ name: S, ok: t.Boolean(), message: S }) },
  "GET /api/backups/{name}": { 200: { media: "application/octet-stream", description: "The backup file, as an attachment" } },
  "GET /api/tunnel": { 200: Tunnel },
  "POST /api/notifications/test": {
    200: Row({ push: Row({ phones: I, sent: I, gone: I, failed: I }), webhook: N(t.Boolean()) }),
  },
  "POST /mcp": {
    200: { media: "text/event-stream", description: "JSON-RPC answers (and progress notifications of a long tool call) as server-sent events" },
    202: null,
  },

  "POST /api/sessions/{id}/artifacts": { 201: Artifact },
  "GET /api/sessions/{id}/artifacts": { 200: Page(Artifact) },
  "GET /api/artifacts/{id}/meta": { 200: Artifact },
  "GET /api/artifacts/{id}": {
    200: { media: "application/octet-stream", description: "The content, with the Content-Type it was uploaded with" },
    206: { media: "application/octet-stream", description: "The asked range" },
    410: ErrorBody,
    416: null,
  },
  "DELETE /api/artifacts/{id}": { 204: null },
  "GET /api/sessions/{id}/turns": {
    200: Row({
      items: t.Array(
        Row({
          offset: I,
          prompt: S,
          started_at: N(I),
          ended_at: N(I),
          duration_ms: N(I),
          models: t.Array(S),
          ...TurnCounts,
        }),
      ),
      totals: Row({ turns: I, duration_ms: I, ...TurnCounts }),
      from_offset: I,
      size: I,
    }),
  },
  "GET /api/storage": {
    200: Row({
      total_bytes: I,
      by_kind: Row({ database: I, artifacts: I, backups: I }),
      database_by_kind: Row({ events: I, transcript_index: I, search_index: I, sessions: I, broker: I, other: I, free: I }),
      sessions: t.Array(Row({ session_id: S, artifacts: I, bytes: I })),
    }),
  },
}

/** The phone listener's answers. */
export const PHONE_RESPONSES: Record<string, Record<number, Content>> = {
  "GET /health": { 200: Row({ status: S }), 503: Row({ status: S }) },
  "GET /": { 200: { media: "text/html", description: "The phone page" } },
  // 401 a wrong secret or code; 403 no pairing open; 429 the window closed after too many attempts.
  "POST /pair": { 201: Row({ device: Row({ id: S, name: N(S), platform: N(S), paired_at: Millis }) }), 401: ErrorBody, 429: ErrorBody },
  "GET /phone/api/me": { 200: Device },
  "PATCH /phone/api/me": { 200: Device },
  "GET /phone/api/sessions": { 200: Row({ projects: t.Array(Project), sessions: t.Array(Session) }) },
  "GET /phone/api/sessions/{id}": { 200: Row({ session: Session, events: t.Array(Event) }) },
  "GET /phone/api/sessions/{id}/transcript": { 200: Row({ entries: t.Array(TranscriptEntry), next_cursor: I, size: I, done: t.Boolean() }) },
  "GET /phone/api/approvals/resolved": { 200: Items(Approval) },
  "GET /phone/api/agents": { 200: Row({ items: t.Array(S) }) },
  "POST /phone/api/messages": { 201: Message },
  "POST /phone/api/sessions/{id}/input": { 200: Typed, 409: ErrorBody },
  "GET /phone/api/approvals": { 200: Page(Approval) },
  "POST /phone/api/approvals/{id}": { 200: Approval },
  "GET /phone/api/questions": { 200: Page(Question) },
  "POST /phone/api/questions/{id}/answer": { 200: Question },
  "GET /phone/api/events/stream": { 200: { media: "text/event-stream", description: "Server-sent events, as on the admin listener" } },
  "GET /sw.js": { 200: { media: "text/javascript", description: "The service worker" } },
  "GET /sign.js": { 200: { media: "text/javascript", description: "The phone's request signing" } },
  "GET /manifest.webmanifest": { 200: { media: "application/manifest+json", description: "The web app manifest" } },
  "GET /icon.svg": { 200: { media: "image/svg+xml", description: "The icon" } },
  "GET /icon-192.png": { 200: { media: "image/png", description: "The icon, 192 px" } },
  "GET /icon-512.png": { 200: { media: "image/png", description: "The icon, 512 px" } },
  "GET /phone/api/push": { 200: Row({ public_key: S, subscriptions: I }) },
  "PUT /phone/api/push": { 200: Row({ subscriptions: I }), 201: Row({ subscriptions: I }) },
  "DELETE /phone/api/push": { 204: null },
}

/**
 * What the CLI's `--json` prints where no route answers the same thing yet (a list that a route does answer is
 * printed exactly as the route answers it, and checked against RESPONSES). The tests hold each to its schema.
 */
export const CLI_REPORTS = {
  "hive doctor": Row({
    findings: t.Array(Row({ level: One(["ok", "warn", "fail"]), check: S, what: S, fix: N(S) })),
    problems: I,
  }),
  "hive migrate status": Row({
    database: S,
    schema_version: I,
    known: I,
    newer_than_binary: t.Boolean(),
    migrations: t.Array(
      Row({
        id: S,
        version: I,
        state: One(["applied", "pending", "unknown"]),
        applied_at: N(Millis),
        duration_ms: N(I),
        source_changed: t.Boolean(),
        unfinished: t.Boolean(),
      }),
    ),
  }),
  "hive export": Row({ file: S, records: I, tables: t.Record(S, I), files: I, missing_files: t.Array(S) }),
  "hive import": CLI_IMPORT_REPORT,
}
