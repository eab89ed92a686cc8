import type { Registered } from "../src/db/migrate"
import { migrationId } from "../src/db/migrate"
import { sourceChecksum } from "./source-checksum" with { type: "macro" }
import core from "./001_core"
import apiTokens from "./002_api_tokens"
import secrets from "./003_secrets"
import importClaudeSessions from "./004_import_claude_sessions"
import importReplyTokens from "./005_import_reply_tokens"
import importGitlabOauth from "./006_import_gitlab_oauth"
import importSdkSessions from "./007_import_sdk_sessions"
import importAgentTokens from "./008_import_agent_tokens"
import importHivePreferences from "./009_import_hive_preferences"
import importPairedDevices from "./010_import_paired_devices"
import broker from "./011_broker"
import events from "./012_events"
import turnStats from "./013_turn_stats"
import retention from "./014_retention"
import artifacts from "./015_artifacts"
import search from "./016_search"
import pairing from "./017_pairing"
import tunnel from "./018_tunnel"
import deviceKeyPins from "./019_device_key_pins"
import eventIndexes from "./020_event_indexes"
import eventPayloadCheck from "./021_event_payload_check"
import auditAppendOnly from "./022_audit_append_only"
import tokenScopes from "./023_token_scopes"
import sessionLineage from "./024_session_lineage"
import eventToolColumns from "./025_event_tool_columns"
import permissionApprovals from "./026_permission_approvals"
import subagentTranscripts from "./027_subagent_transcripts"
import eventCallColumns from "./028_event_call_columns"
import sessionProcessIndex from "./029_session_process_index"
import legacyTunnelPreference from "./030_legacy_tunnel_preference"
import pushSubscriptions from "./031_push_subscriptions"
import deviceSigningKeys from "./032_device_signing_keys"

// The explicit, ordered list: `bun build --compile` embeds exactly what is imported here.
// A migration that shipped is never edited; add a new file and a new line instead.
const list = [
  { ...core, version: 1, checksum: sourceChecksum("001_core.ts") },
  { ...apiTokens, version: 2, checksum: sourceChecksum("002_api_tokens.ts") },
  { ...secrets, version: 3, checksum: sourceChecksum("003_secrets.ts") },
  { ...importClaudeSessions, version: 4, checksum: sourceChecksum("004_import_claude_sessions.ts") },
  { ...importReplyTokens, version: 5, checksum: sourceChecksum("005_import_reply_tokens.ts") },
  { ...importGitlabOauth, version: 6, checksum: sourceChecksum("006_import_gitlab_oauth.ts") },
  { ...importSdkSessions, version: 7, checksum: sourceChecksum("007_import_sdk_sessions.ts") },
  { ...importAgentTokens, version: 8, checksum: sourceChecksum("008_import_agent_tokens.ts") },
  { ...importHivePreferences, version: 9, checksum: sourceChecksum("009_import_hive_preferences.ts") },
  { ...importPairedDevices, version: 10, checksum: sourceChecksum("010_import_paired_devices.ts") },
  { ...broker, version: 11, checksum: sourceChecksum("011_broker.ts") },
  { ...events, version: 12, checksum: sourceChecksum("012_events.ts") },
  { ...turnStats, version: 13, checksum: sourceChecksum("013_turn_stats.ts") },
  { ...retention, version: 14, checksum: sourceChecksum("014_retention.ts") },
  { ...artifacts, version: 15, checksum: sourceChecksum("015_artifacts.ts") },
  { ...search, version: 16, checksum: sourceChecksum("016_search.ts") },
  { ...pairing, version: 17, checksum: sourceChecksum("017_pairing.ts") },
  { ...tunnel, version: 18, checksum: sourceChecksum("018_tunnel.ts") },
  { ...deviceKeyPins, version: 19, checksum: sourceChecksum("019_device_key_pins.ts") },
  { ...eventIndexes, version: 20, checksum: sourceChecksum("020_event_indexes.ts") },
  { ...eventPayloadCheck, version: 21, checksum: sourceChecksum("021_event_payload_check.ts") },
  { ...auditAppendOnly, version: 22, checksum: sourceChecksum("022_audit_append_only.ts") },
  { ...tokenScopes, version: 23, checksum: sourceChecksum("023_token_scopes.ts") },
  { ...sessionLineage, version: 24, checksum: sourceChecksum("024_session_lineage.ts") },
  { ...eventToolColumns, version: 25, checksum: sourceChecksum("025_event_tool_columns.ts") },
  { ...permissionApprovals, version: 26, checksum: sourceChecksum("026_permission_approvals.ts") },
  { ...subagentTranscripts, version: 27, checksum: sourceChecksum("027_subagent_transcripts.ts") },
  { ...eventCallColumns, version: 28, checksum: sourceChecksum("028_event_call_columns.ts") },
  { ...sessionProcessIndex, version: 29, checksum: sourceChecksum("029_session_process_index.ts") },
  { ...legacyTunnelPreference, version: 30, checksum: sourceChecksum("030_legacy_tunnel_preference.ts") },
  { ...pushSubscriptions, version: 31, checksum: sourceChecksum("031_push_subscriptions.ts") },
  { ...deviceSigningKeys, version: 32, checksum: sourceChecksum("032_device_signing_keys.ts") },
]

export const migrations: readonly Registered[] = list.map((m) => ({ ...m, id: migrationId(m.version, m.name) }))
