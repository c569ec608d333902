import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { nowIso } from '../secrets.js';

export interface Project {
  id: number;
  name: string;
  createdAt: string;
}

type Row = { id: number; name: string; created_at: string };
const toProject = (r: Row): Project => ({ id: r.id, name: r.name, createdAt: r.created_at });

/** Projects (tenants) and who is a member of them. */
export class ProjectRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async create(name: string): Promise<Project> {
    const r = await this.db
      .insertInto('projects')
      .values({ name, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toProject(r);
  }

  async get(id: number): Promise<Project | undefined> {
    const r = await this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toProject(r);
  }

  async list(): Promise<Project[]> {
    return (await this.db.selectFrom('projects').selectAll().orderBy('id').execute()).map(toProject);
  }

  /** The oldest project: the one created on first start, where config-seeded agents live. */
  async first(): Promise<Project | undefined> {
    const r = await this.db.selectFrom('projects').selectAll().orderBy('id').limit(1).executeTakeFirst();
    return r && toProject(r);
  }

  async addMember(projectId: number, userId: number, role: 'owner' | 'member' = 'member'): Promise<void> {
    await this.db
      .insertInto('project_members')
      .values({ project_id: projectId, user_id: userId, role, created_at: nowIso() })
      .onConflict((oc) => oc.columns(['project_id', 'user_id']).doNothing())
      .execute();
  }

  /** Projects a user belongs to, oldest first. */
  async ofUser(userId: number): Promise<Project[]> {
    const rows = await this.db
      .selectFrom('project_members')
      .innerJoin('projects', 'projects.id', 'project_members.project_id')
      .select(['projects.id', 'projects.name', 'projects.created_at'])
      .where('project_members.user_id', '=', userId)
      .orderBy('projects.id')
      .execute();
    return rows.map(toProject);
  }

  /** The email of the project's oldest owner, if a user owns it. */
  async ownerEmail(projectId: number): Promise<string | null> {
    const r = await this.db
      .selectFrom('project_members')
      .innerJoin('users', 'users.id', 'project_members.user_id')
      .select(['users.email'])
      .where('project_members.project_id', '=', projectId)
      .where('project_members.role', '=', 'owner')
      .orderBy('project_members.created_at')
      .limit(1)
      .executeTakeFirst();
    return r?.email ?? null;
  }
}
