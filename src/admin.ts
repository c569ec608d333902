/**
 * `npm run admin -- <command>`: the operator's CLI over the same store the server uses.
 *
 *   project create NAME | project list
 *   token create PROJECT_ID [--scopes a,b] | token list PROJECT_ID | token revoke TOKEN_ID
 *   number add PROJECT_ID +E164 [--agent USERNAME | --application ID | --forward +E164] | number list PROJECT_ID
 *
 * A created token goes alone on stdout (so `TOKEN=$(npm run -s admin -- token create 1)` works);
 * notes go to stderr. Exit status 2 for usage errors, 1 for refused operations.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load.js';
import { Store, type NumberTarget } from './store/index.js';

const USAGE = `usage: npm run admin -- <command>
  project create NAME
  project list
  token create PROJECT_ID [--scopes a,b]
  token list PROJECT_ID
  token revoke TOKEN_ID
  number add PROJECT_ID +E164 [--agent USERNAME | --application ID | --forward +E164]
  number list PROJECT_ID`;

class UsageError extends Error {}
class Refused extends Error {}

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function id(v: string | undefined, what: string): number {
  const n = Number(v);
  if (!v || !Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer`);
  return n;
}

const E164 = /^\+[1-9][0-9]{3,14}$/;

async function project(store: Store, id: number): Promise<void> {
  if (!(await store.projects.get(id))) throw new Refused(`no project ${id}`);
}

export async function runAdmin(store: Store, argv: string[], io: AdminIo): Promise<void> {
  const args = [...argv];
  const [noun, verb] = [args.shift(), args.shift()];
  switch (`${noun} ${verb}`) {
    case 'project create': {
      const name = args.join(' ').trim();
      if (!name) throw new UsageError('project create needs a NAME');
      const p = await store.projects.create(name);
      io.out(`project ${p.id} ${p.name}`);
      return;
    }
    case 'project list':
      for (const p of await store.projects.list()) io.out(`${p.id}\t${p.name}\t${p.createdAt}`);
      return;
    case 'token create': {
      const scopes =
        option(args, '--scopes')
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean) ?? [];
      const pid = id(args[0], 'PROJECT_ID');
      await project(store, pid);
      const { token, record } = await store.apiTokens.create(pid, scopes);
      io.err(
        `token ${record.id} for project ${pid}${scopes.length ? ` (scopes ${scopes.join(',')})` : ''}; store it now, it will not be shown again:`,
      );
      io.out(token);
      return;
    }
    case 'token list': {
      const pid = id(args[0], 'PROJECT_ID');
      for (const t of await store.apiTokens.list(pid)) {
        io.out(
          `${t.id}\t${t.prefix}…\t${t.scopes.join(',') || '*'}\t${t.revokedAt ? `revoked ${t.revokedAt}` : 'active'}\t${t.lastUsedAt ?? 'never used'}`,
        );
      }
      return;
    }
    case 'token revoke': {
      const tid = id(args[0], 'TOKEN_ID');
      if (!(await store.apiTokens.revoke(tid))) throw new Refused(`no active token ${tid}`);
      io.out(`token ${tid} revoked`);
      return;
    }
    case 'number add': {
      const agent = option(args, '--agent');
      const application = option(args, '--application');
      const forward = option(args, '--forward');
      const pid = id(args[0], 'PROJECT_ID');
      const e164 = args[1];
      if (!e164 || !E164.test(e164)) throw new UsageError('number add needs an E.164 number such as +14155550123');
      if ([agent, application, forward].filter(Boolean).length > 1)
        throw new UsageError('give at most one of --agent, --application, --forward');
      await project(store, pid);
      let target: NumberTarget | null = null;
      if (agent) {
        const a = await store.agents.findByUsername(agent);
        if (!a || a.projectId !== pid) throw new Refused(`no agent ${agent} in project ${pid}`);
        target = { kind: 'agent', agentId: a.id };
      } else if (application) {
        const app = await store.applications.get(id(application, '--application'));
        if (!app || app.projectId !== pid) throw new Refused(`no application ${application} in project ${pid}`);
        target = { kind: 'application', applicationId: app.id };
      } else if (forward) {
        if (!E164.test(forward)) throw new UsageError('--forward needs an E.164 number');
        target = { kind: 'forward', forwardTo: forward };
      }
      try {
        const n = await store.numbers.assign(pid, e164, target);
        io.out(`number ${n.id} ${n.e164} -> project ${pid}${target ? ` (${target.kind})` : ''}`);
      } catch (err) {
        throw new Refused((err as Error).message);
      }
      return;
    }
    case 'number list': {
      const pid = id(args[0], 'PROJECT_ID');
      for (const n of await store.numbers.list(pid)) {
        const t = n.target;
        const to = !t
          ? '-'
          : t.kind === 'agent'
            ? `agent ${t.agentId}`
            : t.kind === 'application'
              ? `application ${t.applicationId}`
              : `forward ${t.forwardTo}`;
        io.out(`${n.id}\t${n.e164}\t${n.trunk ?? '-'}\t${to}`);
      }
      return;
    }
    default:
      throw new UsageError(noun ? `unknown command: ${[noun, verb].filter(Boolean).join(' ')}` : 'no command');
  }
}

async function main(): Promise<number> {
  const io: AdminIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  const config = loadConfig();
  const store = await Store.open({ url: config.database.url, dataDir: config.dataDir });
  try {
    await runAdmin(store, process.argv.slice(2), io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`admin: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof Refused) {
      io.err(`admin: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
