import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';

/** A human who takes calls: a registrar user (phone or browser) of one project. */
export interface Agent {
  id: number;
  projectId: number;
  username: string;
  displayName: string | null;
  email: string | null;
  createdAt: string;
}

export interface SipCredential {
  username: string;
  password: string;
  displayName?: string;
}

type Row = {
  id: number;
  project_id: number;
  username: string;
  display_name: string | null;
  email: string | null;
  created_at: string;
};
const toAgent = (r: Row): Agent => ({
  id: r.id,
  projectId: r.project_id,
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  createdAt: r.created_at,
});
const PUBLIC = ['id', 'project_id', 'username', 'display_name', 'email', 'created_at'] as const;

/**
 * Agents. The SIP password is kept in plaintext because the registrar's digest check (MD5 and
 * SHA-256, RFC 8760) must recompute the response; it is never returned by the read methods.
 */
export class AgentRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(a: {
    projectId: number;
    username: string;
    password: string;
    displayName?: string;
    email?: string;
  }): Promise<Agent> {
    const r = await this.db
      .insertInto('agents')
      .values({
        project_id: a.projectId,
        username: a.username,
        sip_password: a.password,
        display_name: a.displayName ?? null,
        email: a.email?.toLowerCase() ?? null,
        created_at: nowIso(),
      })
      .returning(PUBLIC)
      .executeTakeFirstOrThrow();
    return toAgent(r);
  }

  /**
   * Config registrar users as agents: a missing username is created in `projectId`; an existing
   * one keeps its project and takes the config's password and display name (config is the seed's
   * source of truth). Returns how many were created.
   */
  async seed(projectId: number, users: readonly SipCredential[]): Promise<number> {
    let created = 0;
    for (const u of users) {
      const existing = await this.db.selectFrom('agents').select(['id']).where('username', '=', u.username).executeTakeFirst();
      if (existing) {
        await this.db
          .updateTable('agents')
          .set({ sip_password: u.password, display_name: u.displayName ?? null })
          .where('id', '=', existing.id)
          .execute();
      } else {
        await this.create({ projectId, username: u.username, password: u.password, displayName: u.displayName });
        created++;
      }
    }
    return created;
  }

  async get(id: number): Promise<Agent | undefined> {
    const r = await this.db.selectFrom('agents').select(PUBLIC).where('id', '=', id).executeTakeFirst();
    return r && toAgent(r);
  }

  async findByUsername(username: string): Promise<Agent | undefined> {
    const r = await this.db.selectFrom('agents').select(PUBLIC).where('username', '=', username).executeTakeFirst();
    return r && toAgent(r);
  }

  async findByEmail(projectId: number, email: string): Promise<Agent | undefined> {
    const r = await this.db
      .selectFrom('agents')
      .select(PUBLIC)
      .where('project_id', '=', projectId)
      .where('email', '=', email.toLowerCase())
      .executeTakeFirst();
    return r && toAgent(r);
  }

  async list(projectId: number): Promise<Agent[]> {
    return (await this.db.selectFrom('agents').select(PUBLIC).where('project_id', '=', projectId).orderBy('id').execute()).map(
      toAgent,
    );
  }

  /** Every agent's digest credentials, for the registrar. */
  /** One agent's digest credentials, or undefined for an unknown username. */
  async sipCredential(username: string): Promise<{ password: string; displayName?: string } | undefined> {
    const r = await this.db
      .selectFrom('agents')
      .select(['sip_password', 'display_name'])
      .where('username', '=', username)
      .executeTakeFirst();
    return r && { password: r.sip_password, ...(r.display_name ? { displayName: r.display_name } : {}) };
  }

  async sipCredentials(): Promise<SipCredential[]> {
    const rows = await this.db.selectFrom('agents').select(['username', 'sip_password', 'display_name']).orderBy('id').execute();
    return rows.map((r) => ({
      username: r.username,
      password: r.sip_password,
      ...(r.display_name ? { displayName: r.display_name } : {}),
    }));
  }
}
