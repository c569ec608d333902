import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DB, WidgetsTable } from '../schema.js';
import { newSecret, nowIso } from '../secrets.js';

export type WidgetMode = 'voice' | 'chat';
export type WidgetPosition = 'bottom-right' | 'bottom-left';
/** What a visitor's call reaches: a number the project owns, or an application (call flow). */
export type WidgetTarget = { kind: 'number'; number: string } | { kind: 'application'; applicationId: number };

export const WIDGET_ID_PREFIX = 'wgt_';
export const WIDGET_SECRET_PREFIX = 'wsec_';

/** A visitor-facing web-call/chat widget; `publicId` goes in the embed snippet. */
export interface Widget {
  id: number;
  projectId: number;
  publicId: string;
  /** Signs visitor email tokens (HMAC); shown by the project's own API only. */
  secret: string;
  greeting: string;
  primaryColor: string;
  position: WidgetPosition;
  /** Host names (lower case) whose pages may load the widget; empty: only the hosted page. */
  allowedDomains: string[];
  modes: WidgetMode[];
  consentRequired: boolean;
  consentText: string | null;
  target: WidgetTarget | null;
  createdAt: string;
  updatedAt: string;
}

/** The fields a widget's owner sets; `undefined` leaves a field as it is. */
export interface WidgetFields {
  greeting?: string;
  primaryColor?: string;
  position?: WidgetPosition;
  allowedDomains?: string[];
  modes?: WidgetMode[];
  consentRequired?: boolean;
  consentText?: string | null;
  target?: WidgetTarget | null;
}

/** A new widget's settings until its owner changes them. */
export function widgetDefaults(): Required<WidgetFields> {
  return {
    greeting: 'Hi! How can I help you today?',
    primaryColor: '#6366F1',
    position: 'bottom-right',
    allowedDomains: [],
    modes: ['voice'],
    consentRequired: false,
    consentText: null,
    target: null,
  };
}

type Row = Selectable<WidgetsTable>;

function toWidget(r: Row): Widget {
  const target: WidgetTarget | null =
    r.target_kind === 'number' && r.target_number
      ? { kind: 'number', number: r.target_number }
      : r.target_kind === 'application' && r.application_id !== null
        ? { kind: 'application', applicationId: r.application_id }
        : null;
  return {
    id: r.id,
    projectId: r.project_id,
    publicId: r.public_id,
    secret: r.secret,
    greeting: r.greeting,
    primaryColor: r.primary_color,
    position: r.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
    allowedDomains: JSON.parse(r.allowed_domains) as string[],
    modes: JSON.parse(r.modes) as WidgetMode[],
    consentRequired: r.consent_required === 1,
    consentText: r.consent_text,
    target,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function columns(f: WidgetFields) {
  return {
    ...(f.greeting !== undefined ? { greeting: f.greeting } : {}),
    ...(f.primaryColor !== undefined ? { primary_color: f.primaryColor } : {}),
    ...(f.position !== undefined ? { position: f.position } : {}),
    ...(f.allowedDomains !== undefined ? { allowed_domains: JSON.stringify(f.allowedDomains.map((d) => d.toLowerCase())) } : {}),
    ...(f.modes !== undefined ? { modes: JSON.stringify(f.modes) } : {}),
    ...(f.consentRequired !== undefined ? { consent_required: f.consentRequired ? 1 : 0 } : {}),
    ...(f.consentText !== undefined ? { consent_text: f.consentText } : {}),
    ...(f.target !== undefined
      ? {
          target_kind: f.target?.kind ?? null,
          target_number: f.target?.kind === 'number' ? f.target.number : null,
          application_id: f.target?.kind === 'application' ? f.target.applicationId : null,
        }
      : {}),
  };
}

/** `columns` of a complete set of fields sets every column. */
const allColumns = (f: Required<WidgetFields>) => {
  const c = columns(f);
  return c as Required<typeof c>;
};

/** A public id: short enough for a script tag, long enough not to be guessed. */
const newPublicId = (): string => WIDGET_ID_PREFIX + randomBytes(12).toString('base64url');

/** Widgets. A project has one (created on first use); visitors find it by its public id. */
export class WidgetRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(projectId: number, f: WidgetFields = {}): Promise<Widget> {
    const now = nowIso();
    const r = await this.db
      .insertInto('widgets')
      .values({
        ...(columns({ ...widgetDefaults(), ...f }) as ReturnType<typeof allColumns>),
        project_id: projectId,
        public_id: newPublicId(),
        secret: newSecret(WIDGET_SECRET_PREFIX),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWidget(r);
  }

  async get(id: number): Promise<Widget | undefined> {
    const r = await this.db.selectFrom('widgets').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toWidget(r);
  }

  /** The widget a script tag or a visitor session names (any project: callers check what it allows). */
  async findByPublicId(publicId: string): Promise<Widget | undefined> {
    const r = await this.db.selectFrom('widgets').selectAll().where('public_id', '=', publicId).executeTakeFirst();
    return r && toWidget(r);
  }

  /** Every allowed domain of the widgets taking voice calls (the SIP WebSocket admits their pages). */
  async voiceDomains(): Promise<string[]> {
    const rows = await this.db.selectFrom('widgets').select(['allowed_domains', 'modes']).execute();
    const out = new Set<string>();
    for (const r of rows) {
      if (!(JSON.parse(r.modes) as string[]).includes('voice')) continue;
      for (const d of JSON.parse(r.allowed_domains) as string[]) out.add(d);
    }
    return [...out];
  }

  /** The project's widget (its first, should variants come), if it has one. */
  async forProject(projectId: number): Promise<Widget | undefined> {
    const r = await this.db
      .selectFrom('widgets')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return r && toWidget(r);
  }

  async update(id: number, f: WidgetFields): Promise<Widget | undefined> {
    await this.db
      .updateTable('widgets')
      .set({ ...columns(f), updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  /**
   * A compromised widget gets a new public id and secret: old embed snippets stop loading and email
   * tokens signed with the old secret stop verifying.
   */
  async regenerateKey(id: number): Promise<Widget | undefined> {
    await this.db
      .updateTable('widgets')
      .set({ public_id: newPublicId(), secret: newSecret(WIDGET_SECRET_PREFIX), updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }
}
