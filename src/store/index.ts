/**
 * The store: one database, migrated at open, and one repository per aggregate. The only place in
 * the code base that speaks SQL.
 */
import { openDatabase, type Database, type DatabaseOptions, type DialectName } from './database.js';
import { latestVersion, migrate } from './migrator.js';
import { migrations } from './migrations/index.js';
import { ProjectRepository } from './repos/projects.js';
import { ApiTokenRepository } from './repos/api-tokens.js';
import { UserRepository } from './repos/users.js';
import { AgentRepository } from './repos/agents.js';
import { AgentWidgetSessionRepository } from './repos/agent-widget-sessions.js';
import { ApplicationRepository } from './repos/applications.js';
import { NumberRepository } from './repos/numbers.js';
import { CallRepository } from './repos/calls.js';
import { CallbackFailureRepository } from './repos/callback-failures.js';
import { WebhookRepository } from './repos/webhooks.js';
import { OutboxRepository } from './repos/outbox.js';
import { WidgetRepository } from './repos/widgets.js';
import { WidgetSessionRepository } from './repos/widget-sessions.js';
import { WidgetMessageRepository } from './repos/widget-messages.js';
import { WidgetUploadRepository } from './repos/widget-uploads.js';

export { SchemaTooNewError } from './migrator.js';
export type { Project } from './repos/projects.js';
export type { ApiToken } from './repos/api-tokens.js';
export type { User } from './repos/users.js';
export type { Agent, SipCredential } from './repos/agents.js';
export type { AgentWidgetSession } from './repos/agent-widget-sessions.js';
export type { Application, ApplicationFields, CallbackMethod, CallbackFormat } from './repos/applications.js';
export type {
  PhoneNumber,
  NumberTarget,
  InventoryEntry,
  NumberCallbackConfig,
  NumberCallbackFields,
} from './repos/numbers.js';
export type { CallRecord, CallStatus, CallDirection, NewCall, StatusChange, CallEvent, CallQuery } from './repos/calls.js';
export { CALL_STATUSES, LISTING_COLUMNS, eventTypeFor, recordingPathFor } from './repos/calls.js';
export type { CallbackFailure, CallbackFailureOutcome } from './repos/callback-failures.js';
export { CALLBACK_FAILURE_OUTCOMES } from './repos/callback-failures.js';
export type { Widget, WidgetFields, WidgetMode, WidgetPosition, WidgetTarget } from './repos/widgets.js';
export { WIDGET_ID_PREFIX, WIDGET_SECRET_PREFIX, widgetDefaults } from './repos/widgets.js';
export type { WidgetSession, WidgetSessionQuery } from './repos/widget-sessions.js';
export { WIDGET_SESSION_ID_PREFIX } from './repos/widget-sessions.js';
export type { WidgetMessage, NewWidgetMessage, ChatSender, ChatAttachment, HistoryQuery } from './repos/widget-messages.js';
export type { WidgetUpload } from './repos/widget-uploads.js';
export { WIDGET_UPLOAD_ID_PREFIX } from './repos/widget-uploads.js';
export type { Webhook, WebhookChange, DeliveryAttempt } from './repos/webhooks.js';
export { WEBHOOK_SECRET_PREFIX, subscribes } from './repos/webhooks.js';
export type { EventEnvelope, StoredEvent, NewEvent, DueDelivery, AttemptResult, RecordedAttempt } from './repos/outbox.js';
export { sha256Hex, matchesHash, newSecret, PROJECT_TOKEN_PREFIX, USER_TOKEN_PREFIX } from './secrets.js';

export class Store {
  readonly projects: ProjectRepository;
  readonly apiTokens: ApiTokenRepository;
  readonly users: UserRepository;
  readonly agents: AgentRepository;
  readonly agentWidgetSessions: AgentWidgetSessionRepository;
  readonly applications: ApplicationRepository;
  readonly numbers: NumberRepository;
  readonly calls: CallRepository;
  /** Call-flow callbacks that failed, per call (the call record's `callback_failures`). */
  readonly callbackFailures: CallbackFailureRepository;
  readonly webhooks: WebhookRepository;
  /** Visitor web-call/chat widgets. */
  readonly widgets: WidgetRepository;
  /** Visitor chat sessions on widgets, their messages and uploads. */
  readonly widgetSessions: WidgetSessionRepository;
  readonly widgetMessages: WidgetMessageRepository;
  readonly widgetUploads: WidgetUploadRepository;
  /** Events and their webhook deliveries; emits `committed` after each transaction that wrote events. */
  readonly outbox: OutboxRepository;
  private closed?: Promise<void>;

  private constructor(private readonly database: Database) {
    const db = database.db;
    this.projects = new ProjectRepository(db);
    this.apiTokens = new ApiTokenRepository(db, database.changeCounter);
    this.users = new UserRepository(db);
    this.agents = new AgentRepository(db);
    this.agentWidgetSessions = new AgentWidgetSessionRepository(db);
    this.applications = new ApplicationRepository(db);
    this.numbers = new NumberRepository(db);
    this.outbox = new OutboxRepository(db);
    this.calls = new CallRepository(db, this.outbox, database.rawRows);
    this.callbackFailures = new CallbackFailureRepository(db);
    this.webhooks = new WebhookRepository(db);
    this.widgets = new WidgetRepository(db);
    this.widgetSessions = new WidgetSessionRepository(db);
    this.widgetMessages = new WidgetMessageRepository(db, this.outbox);
    this.widgetUploads = new WidgetUploadRepository(db);
  }

  /** Opens the database and applies pending migrations; refuses a schema newer than this code. */
  static async open(opts: DatabaseOptions): Promise<Store> {
    const database = openDatabase(opts);
    try {
      await migrate(database.db, database.dialect, migrations);
    } catch (err) {
      await database.close().catch(() => undefined);
      throw err;
    }
    return new Store(database);
  }

  get dialect(): DialectName {
    return this.database.dialect;
  }
  get location(): string {
    return this.database.location;
  }
  get schemaVersion(): number {
    return latestVersion(migrations);
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.database.close();
    return this.closed;
  }
}
