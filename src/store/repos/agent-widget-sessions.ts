import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso, sha256Hex } from '../secrets.js';

/** A Voylo agent-widget session: who it acts for and until when. The token itself is never stored. */
export interface AgentWidgetSession {
  id: number;
  projectId: number;
  agentId: number;
  expiresAt: string;
  revokedAt: string | null;
  createdAt: string;
}

type Row = {
  id: number;
  project_id: number;
  agent_id: number;
  expires_at: string;
  revoked_at: string | null;
  created_at: string;
};
const toSession = (r: Row): AgentWidgetSession => ({
  id: r.id,
  projectId: r.project_id,
  agentId: r.agent_id,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  createdAt: r.created_at,
});
const PUBLIC = ['id', 'project_id', 'agent_id', 'expires_at', 'revoked_at', 'created_at'] as const;

export class AgentWidgetSessionRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(s: { projectId: number; agentId: number; token: string; expiresAt: string }): Promise<AgentWidgetSession> {
    const r = await this.db
      .insertInto('agent_widget_sessions')
      .values({
        project_id: s.projectId,
        agent_id: s.agentId,
        token_hash: sha256Hex(s.token),
        expires_at: s.expiresAt,
        revoked_at: null,
        created_at: nowIso(),
      })
      .returning(PUBLIC)
      .executeTakeFirstOrThrow();
    return toSession(r);
  }

  async get(id: number): Promise<AgentWidgetSession | undefined> {
    const r = await this.db.selectFrom('agent_widget_sessions').select(PUBLIC).where('id', '=', id).executeTakeFirst();
    return r && toSession(r);
  }

  /** The session a presented token belongs to (looked up by its hash), live or not. */
  async findByToken(token: string): Promise<AgentWidgetSession | undefined> {
    const r = await this.db
      .selectFrom('agent_widget_sessions')
      .select(PUBLIC)
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    return r && toSession(r);
  }

  /** Marks the session revoked; false when it already was. */
  async revoke(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('agent_widget_sessions')
      .set({ revoked_at: nowIso() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
