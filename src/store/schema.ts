/**
 * Row shapes of every table, as Kysely sees them. Both dialects store the same things:
 * integer ids, ISO-8601 UTC strings for times, 0/1 integers for flags, JSON as text.
 */
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  project_id: number;
  token_hash: string;
  prefix: string;
  /** JSON array of scope names; empty means every scope. */
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  password_hash: string;
  confirmed: number;
  confirm_code_hash: string | null;
  confirm_expires_at: string | null;
  confirm_attempts: number;
  created_at: string;
}

export interface UserTokensTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ProjectMembersTable {
  project_id: number;
  user_id: number;
  role: string;
  created_at: string;
}

export interface AgentWidgetSessionsTable {
  id: Generated<number>;
  project_id: number;
  agent_id: number;
  token_hash: string;
  expires_at: string;
  revoked_at: string | null;
  created_at: string;
}

export interface AgentsTable {
  id: Generated<number>;
  project_id: number;
  username: string;
  display_name: string | null;
  email: string | null;
  /** Plaintext: SIP digest (MD5 and SHA-256, RFC 8760) needs it or one HA1 per algorithm and realm. */
  sip_password: string;
  created_at: string;
}

export interface ApplicationsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  callback_url: string | null;
  callback_method: string | null;
  callback_format: string | null;
  fallback_url: string | null;
  status_callback_url: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface WidgetsTable {
  id: Generated<number>;
  project_id: number;
  public_id: string;
  secret: string;
  greeting: string;
  primary_color: string;
  position: string;
  allowed_domains: string;
  modes: string;
  consent_required: number;
  consent_text: string | null;
  target_kind: string | null;
  target_number: string | null;
  application_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface WidgetSessionsTable {
  id: Generated<number>;
  public_id: string;
  project_id: number;
  widget_id: number;
  email: string;
  display_name: string;
  token_hash: string;
  expires_at: string;
  revoked_at: string | null;
  last_message_at: string | null;
  created_at: string;
}

export interface WidgetMessagesTable {
  id: Generated<number>;
  project_id: number;
  session_id: number;
  sender: string;
  agent_id: number | null;
  author: string | null;
  content: string;
  upload_id: number | null;
  created_at: string;
}

export interface WidgetUploadsTable {
  id: Generated<number>;
  public_id: string;
  project_id: number;
  session_id: number;
  file_name: string;
  content_type: string;
  size: number;
  storage_name: string;
  created_at: string;
}

export interface NumbersTable {
  id: Generated<number>;
  e164: string;
  trunk: string | null;
  country: string | null;
  type: string | null;
  area_code: string | null;
  project_id: number | null;
  target_kind: string | null;
  agent_id: number | null;
  application_id: number | null;
  forward_to: string | null;
  relay_enabled: number;
  created_at: string;
}

/** A number's own callback configuration (migration 5); `inherit` 1: its application's applies. */
export interface NumberCallbacksTable {
  number_id: number;
  inherit: number;
  callback_url: string | null;
  callback_method: string;
  callback_format: string;
  fallback_url: string | null;
  status_callback_url: string | null;
  updated_at: string;
}

export interface CallsTable {
  id: Generated<number>;
  project_id: number;
  direction: string;
  from_number: string | null;
  to_number: string | null;
  status: string;
  sip_status: number | null;
  reason: string | null;
  telephony_ref: string | null;
  cable_token_hash: string | null;
  recording_path: string | null;
  enable_recording: number;
  enable_transcription: number;
  enable_analysis: number;
  agent_id: number | null;
  application_id: number | null;
  number_id: number | null;
  created_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration: number | null;
  /** JSON array of the call's legs (free-form objects written by the call domain). */
  legs: string;
}

export interface CallEventsTable {
  id: Generated<number>;
  call_id: number;
  status: string;
  at: string;
  /** JSON object or null. */
  detail: string | null;
}

export interface CallCallbackFailuresTable {
  id: Generated<number>;
  call_id: number;
  at: string;
  callback_type: string;
  url: string;
  error: string;
  fallback_url: string | null;
  fallback_error: string | null;
  outcome: string;
}

export interface WebhooksTable {
  id: Generated<number>;
  project_id: number;
  name: string | null;
  url: string;
  /** JSON array of event types; `["*"]` is every event. */
  events: string;
  secret: string;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface EventsTable {
  id: Generated<number>;
  event_id: string;
  project_id: number;
  type: string;
  call_id: number | null;
  /** The envelope JSON, byte for byte what is posted. */
  body: string;
  created_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  event_row_id: number;
  webhook_id: number;
  ordering_key: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  finished_at: string | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  webhook_id: number;
  event_id: string;
  type: string;
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  at: string;
}

/** Counters bumped by triggers (`principals`: who a project token is changed). */
export interface ChangeCountersTable {
  name: string;
  /** bigint: PostgreSQL answers it as a string. */
  value: number | string;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface DB {
  projects: ProjectsTable;
  api_tokens: ApiTokensTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  project_members: ProjectMembersTable;
  agents: AgentsTable;
  applications: ApplicationsTable;
  widgets: WidgetsTable;
  widget_sessions: WidgetSessionsTable;
  widget_messages: WidgetMessagesTable;
  widget_uploads: WidgetUploadsTable;
  numbers: NumbersTable;
  number_callbacks: NumberCallbacksTable;
  calls: CallsTable;
  call_events: CallEventsTable;
  call_callback_failures: CallCallbackFailuresTable;
  webhooks: WebhooksTable;
  events: EventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  agent_widget_sessions: AgentWidgetSessionsTable;
  change_counters: ChangeCountersTable;
  schema_migrations: SchemaMigrationsTable;
}
