/**
 * The HTTP API alone over a real store (a temp SQLite file unless `store` is given), on a free
 * loopback port, with the log mail sender writing to a captured log so tests can read codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { buildHttpApp } from '../../api/app.js';
import type { OpenApiRegistry } from '../../api/openapi.js';
import { Store } from '../../src/store/index.js';
import { AccountService } from '../../src/accounts/account-service.js';
import { LogMailSender } from '../../src/mail/sender.js';
import { AgentWidgetSessions } from '../../src/agents/agent-widget-sessions.js';
import type { TeardownHost } from './platform.js';
import type { Express } from 'express';
import type { RecordingLinks } from '../../src/events/recording-links.js';
import type { WidgetServices } from '../../api/context.js';
import { type ChatLimits, VisitorChat } from '../../src/widgets/visitor-chat.js';
import { AttachmentStore } from '../../src/widgets/attachments.js';

export interface TestApi {
  base: string;
  store: Store;
  app: Express;
  registry: OpenApiRegistry;
  /** The visitor chat service behind the widget chat routes and socket. */
  chat: VisitorChat;
  /** The temporary DATA_DIR (attachments are under widget-uploads/). */
  dataDir: string;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** The last confirmation code mailed to `email` (from the log sender). */
  codeFor(email: string): string;
  fetchJson(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
}

export async function startTestApi(
  t: TeardownHost,
  opts: {
    authAttemptsPerMinute?: number;
    maxCodeAttempts?: number;
    allowPrivateWebhookTargets?: boolean;
    recordingLinks?: RecordingLinks;
    widgets?: WidgetServices;
    /** Visitor chat: session lifetime (default 3600 s) and largest attachment (default 5 MiB). */
    chatSessionSeconds?: number;
    uploadMaxBytes?: number;
    /** Chat rate limits (default the seed's 5/60/30 a minute). */
    chatLimits?: Partial<ChatLimits>;
    /** When given, the chat sweeps ended sessions' attachments this often (as `npm start` does each minute). */
    chatSweepMs?: number;
  } = {},
): Promise<TestApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-api-'));
  const store = await Store.open({ dataDir });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const accounts = new AccountService({
    store,
    mail: new LogMailSender(logger),
    logger,
    codeTtlMinutes: 30,
    maxCodeAttempts: opts.maxCodeAttempts ?? 5,
  });
  const agentWidgets = new AgentWidgetSessions({ store, secret: 'test-link-secret' });
  const chat = new VisitorChat({
    store,
    attachments: new AttachmentStore(join(dataDir, 'widget-uploads')),
    sessionTtlMs: (opts.chatSessionSeconds ?? 3600) * 1000,
    uploadMaxBytes: opts.uploadMaxBytes ?? 5 * 1024 * 1024,
    limits: opts.chatLimits,
    sweepMs: opts.chatSweepMs,
  });
  if (opts.chatSweepMs !== undefined) chat.start();
  let base = '';
  const { app, registry, attach } = buildHttpApp({
    store,
    accounts,
    logger,
    authAttemptsPerMinute: opts.authAttemptsPerMinute ?? 1000,
    health: {
      check: async () => ({
        healthy: true,
        failing: [],
        details: {
          calls: 0,
          media: { workers: [], sessions: 0, endpoints: 0, portsInUse: 0 },
          sip: { connected: true, since: 0, server: 'none', embedded: true },
        },
      }),
    },
    options: { healthDetails: false, sourceMaps: false },
    allowPrivateWebhookTargets: opts.allowPrivateWebhookTargets,
    recordingLinks: opts.recordingLinks,
    widgets: opts.widgets,
    agentWidgets: {
      sessions: agentWidgets,
      publicUrl: () => base,
      sipWebSocket: () => undefined,
      bundleDir: join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'widget', 'agent'),
    },
    chat,
  });
  const server: Server = app.listen(0, '127.0.0.1');
  const closeSockets = attach(server);
  await once(server, 'listening');
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  t.teardown(async () => {
    chat.close();
    closeSockets();
    server.closeAllConnections();
    server.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    base,
    store,
    app,
    registry,
    chat,
    dataDir,
    logs,
    codeFor(email) {
      for (const l of [...logs].reverse()) {
        const mail = l.mail as { to?: string; text?: string } | undefined;
        const code = mail?.to === email.toLowerCase() ? mail.text?.match(/code is ([0-9]{6})/)?.[1] : undefined;
        if (code) return code;
      }
      throw new Error(`no confirmation code for ${email} in the log`);
    },
    async fetchJson(path, init) {
      const res = await fetch(base + path, init);
      const text = await res.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { raw: text };
      }
      return { status: res.status, headers: res.headers, body };
    },
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
