/**
 * Contract tests: replay the recorded scenarios (sipp with the recorded scenario XMLs on the network
 * side, real drachtio-srf 5.0.29 apps doing what each transcript header says on the other) against
 * our server, and compare every admin frame it sent with the real drachtio-server's, field by field,
 * after normalising generated ids, tags, branches, times, ports and lengths.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import Srf from 'drachtio-srf';
import { freePort, startSipp, type SippProcess } from '../../helpers/sipp.js';
import { SDP, delay, onMethod, scenario, startServer, SECRET } from './harness.js';
import { AdminTap } from './contract/admin-tap.js';
import { until } from '../../helpers/wait.js';
import { replayConnection } from './contract/raw-client.js';
import { readFileSync, existsSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import {
  appFrames,
  loadTranscript,
  normalize,
  normalizePacket,
  recordedToPeer,
  serverFrames,
  sippReceived,
  transcriptAvailable,
  type PortMap,
} from './contract/transcript.js';
import type { SipTimers } from '../../../sip/server/transaction/timers.js';

type Req = Srf.SrfRequest & { on(ev: string, f: () => void): void; get(h: string): string | undefined; body: string };
type Res = Srf.SrfResponse & { send(status: number, opts?: object): void };

interface Case {
  transcript: string;
  timers?: Partial<SipTimers>;
  a?: { scenario: string; service: string; transport?: 't1' };
  b?: string;
  app: (srf: Srf, env: { bPort: number; silentPort: number }) => void | Promise<void>;
  /** A UDP socket that reads and never answers (mapped to the recording's 5085). */
  silent?: boolean;
  settleMs?: number;
  /** Compare the SIP packets sipp received with the recording (off where retransmission counts depend on timers). */
  network?: boolean;
}

const APP_SDP = SDP;
const noop = (): void => undefined;

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function uasApp(hangup: boolean) {
  return (srf: Srf): void => {
    srf.invite((req, res) => {
      srf
        .createUAS(req, res, { localSdp: APP_SDP, headers: { 'X-App': 'uas-answer' } })
        .then((d) => {
          if (hangup) setTimeout(() => d.destroy({ headers: { 'X-Reason': 'app-hangup' } } as never), 500);
        })
        .catch(noop);
    });
  };
}

function uacApp(user: string, extra: object = {}) {
  return (srf: Srf, env: { bPort: number }): void => {
    setTimeout(() => {
      srf
        .createUAC(`sip:${user}@127.0.0.1:${env.bPort}`, {
          localSdp: APP_SDP,
          headers: { From: '<sip:app@sa.test>', 'X-App': 'uac' },
          ...extra,
        })
        .then((d) => setTimeout(() => d.destroy(), 500), noop);
    }, 300);
  };
}

function proxyApp(srf: Srf, env: { bPort: number }): void {
  srf.invite((req) => {
    srf.proxyRequest(req, `sip:127.0.0.1:${env.bPort}`, { recordRoute: true }, noop);
  });
  onMethod(srf, 'bye', (_req, res) => {
    (res as Res).send(200);
  });
}

const CASES: Case[] = [
  { transcript: 'b1-uas-answer-bye-from-caller', a: { scenario: 'uac-invite-bye.xml', service: 'uas' }, app: uasApp(false) },
  {
    transcript: 'b3-uas-answer-over-tcp',
    a: { scenario: 'uac-invite-bye.xml', service: 'uas', transport: 't1' },
    app: uasApp(false),
  },
  { transcript: 'b2-uas-answer-bye-from-app', a: { scenario: 'uac-invite-await-bye.xml', service: 'uas' }, app: uasApp(true) },
  {
    transcript: 'c-uas-reject-486',
    a: { scenario: 'uac-invite-rejected.xml', service: 'busy' },
    app: (srf) => srf.invite((_req, res) => (res as Res).send(486, { headers: { 'X-App': 'busy' } })),
  },
  {
    transcript: 'd-uas-caller-cancel',
    a: { scenario: 'uac-invite-cancel.xml', service: 'ring' },
    app: (srf) =>
      srf.invite((req, res) => {
        (req as Req).on('cancel', noop);
        (res as Res).send(180, { headers: { 'X-App': 'ringing' } });
      }),
  },
  { transcript: 'e1-uac-invite-bye-from-app', b: 'uas-answer-await-bye.xml', app: uacApp('bob') },
  {
    transcript: 'e2-uac-407-digest-retry',
    b: 'uas-challenge-407.xml',
    app: uacApp('bob', { auth: { username: 'alice', password: 'secret123' } }),
  },
  { transcript: 'e3-uac-rejected-486', b: 'uas-reject-486.xml', app: uacApp('busy') },
  {
    transcript: 'g-uac-cancel-by-app',
    b: 'uas-ring-await-cancel.xml',
    app: (srf, env) => {
      let inv: { cancel(): void } | undefined;
      setTimeout(() => {
        srf
          .createUAC(
            `sip:ring@127.0.0.1:${env.bPort}`,
            { localSdp: APP_SDP },
            {
              cbRequest: ((_e: unknown, r: { cancel(): void }) => {
                inv = r;
              }) as unknown as () => void,
              cbProvisional: (res) => {
                if (res.status === 180) setTimeout(() => inv?.cancel(), 200);
              },
            },
          )
          .catch(noop);
      }, 300);
    },
  },
  {
    transcript: 'h-register-401-200',
    a: { scenario: 'uac-register-auth.xml', service: 'alice' },
    app: (srf) => {
      const nonce = 'abcdef0123456789';
      onMethod(srf, 'register', (req, res) => {
        const auth = (req as Req).get('Authorization');
        if (!auth) {
          (res as Res).send(401, {
            headers: { 'WWW-Authenticate': `Digest realm="sa.test", nonce="${nonce}", algorithm=MD5, qop="auth"` },
          });
          return;
        }
        const p: Record<string, string> = {};
        for (const m of auth.matchAll(/(\w+)="?([^",]*)"?/g)) p[m[1]!] = m[2]!;
        const ha1 = md5(`alice:sa.test:secret123`);
        const ha2 = md5(`REGISTER:${p['uri']}`);
        const ok = p['response'] === md5(`${ha1}:${p['nonce']}:${p['nc']}:${p['cnonce']}:${p['qop']}:${ha2}`);
        (res as Res).send(ok ? 200 : 403, {
          headers: ok ? { Contact: `${(req as Req).get('Contact')};expires=3600`, Expires: '3600' } : {},
        });
      });
    },
  },
  {
    transcript: 'i-options-out-of-dialog',
    a: { scenario: 'uac-options.xml', service: 'ping' },
    app: (srf) =>
      onMethod(srf, 'options', (_req, res) =>
        (res as Res).send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO', Accept: 'application/sdp' } }),
      ),
  },
  {
    transcript: 'i2-options-sent-by-app',
    b: 'uas-answer-options.xml',
    app: (srf, env) => {
      setTimeout(() => {
        (srf as unknown as { request(u: string, o: object): Promise<unknown> })
          .request(`sip:probe@127.0.0.1:${env.bPort}`, { method: 'OPTIONS', headers: { 'X-App': 'options-probe' } })
          .catch(noop);
      }, 300);
    },
  },
  {
    transcript: 'j-proxy-invite-remain-in-dialog',
    a: { scenario: 'uac-invite-bye.xml', service: 'bob' },
    b: 'uas-proxied-answer.xml',
    app: proxyApp,
  },
  {
    transcript: 'j2-proxy-invite-rejected-486',
    a: { scenario: 'uac-invite-rejected.xml', service: 'busy' },
    b: 'uas-reject-486.xml',
    app: proxyApp,
  },
  {
    transcript: 'k-ack-timeout-server-bye',
    timers: { t1: 50, t2: 400 },
    network: false,
    a: { scenario: 'uac-invite-no-ack.xml', service: 'noack' },
    app: (srf) => {
      srf.invite((req, res) => {
        srf
          .createUAS(req, res, { localSdp: APP_SDP })
          .then((d) => d.on('destroy', noop))
          .catch(noop);
      });
      onMethod(srf, 'bye', (_req, res) => (res as Res).send(200));
    },
    settleMs: 600,
  },
  {
    transcript: 'm-uac-invite-no-answer-timeout',
    timers: { t1: 50, t2: 400 },
    silent: true,
    settleMs: 3500,
    app: (srf, env) => {
      setTimeout(() => {
        srf.createUAC(`sip:silent@127.0.0.1:${env.silentPort}`, { localSdp: APP_SDP }).catch(noop);
      }, 300);
    },
  },
  {
    transcript: 'm2-options-no-answer-timeout',
    timers: { t1: 50, t2: 400 },
    silent: true,
    settleMs: 3500,
    app: (srf, env) => {
      setTimeout(() => {
        (srf as unknown as { request(u: string, o: object): Promise<unknown> })
          .request(`sip:silent@127.0.0.1:${env.silentPort}`, { method: 'OPTIONS' })
          .catch(noop);
      }, 300);
    },
  },
  {
    transcript: 'l-invite-no-route',
    a: { scenario: 'uac-invite-no-route.xml', service: 'nobody' },
    app: (srf) => onMethod(srf, 'options', (_req, res) => (res as Res).send(200)),
  },
  {
    transcript: 'f-b2bua-info-reinvite-bye',
    a: { scenario: 'b2b-a-uac.xml', service: 'b2b' },
    b: 'b2b-b-uas.xml',
    app: (srf, env) => {
      srf.invite((req, res) => {
        srf
          .createB2BUA(req, res, `sip:b2b@127.0.0.1:${env.bPort}`, { localSdpB: (req as Req).body, headers: { 'X-B2B': 'yes' } })
          .then(({ uas, uac }) => {
            const u = uac as unknown as {
              request(o: object): Promise<{ status: number; body: string; get(h: string): string }>;
              modify(s: string): Promise<unknown>;
            };
            uas.on('info', (ireq: Req, ires: Res) => {
              u.request({ method: 'INFO', headers: { 'Content-Type': ireq.get('Content-Type') }, body: ireq.body })
                .then((r) => {
                  ires.send(r.status, { body: r.body, headers: { 'content-type': r.get('content-type') } });
                })
                .then(() => u.modify((req as Req).body.replace('s=-', 's=modified') + 'a=recvonly\r\n'))
                .catch(noop);
            });
            uas.on('destroy', () => uac.destroy());
          })
          .catch(noop);
      });
    },
  },
];

type T = { equal(a: unknown, b: unknown, m?: string): void; same(a: unknown, b: unknown, m?: string): void };

function compare(tt: unknown, ours: string[], recorded: string[], ports: PortMap): void {
  const t = tt as T;
  const a = ours.map((f) => normalize(f, ports));
  const b = recorded.map((f) => normalize(f, ports));
  t.equal(a.length, b.length, 'same number of frames to the app');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    t.same(a[i], b[i], `frame ${i + 1}: ${b[i]?.leader.slice(1, 3).join('|') ?? 'extra'}`);
  }
}

for (const c of CASES) {
  t.test(c.transcript, async (t) => {
    t.ok(transcriptAvailable(c.transcript), 'recording present');
    const rec = loadTranscript(c.transcript);
    const ts = await startServer(t, { timers: c.timers });
    const tap = new AdminTap(ts.adminPort);
    t.teardown(() => tap.close());
    await tap.start();
    const aPort = await freePort();
    const bPort = c.b ? await freePort() : 0;
    const ports: PortMap = { [ts.sipPort]: 5060, [aPort]: 5070 };
    if (bPort) ports[bPort] = 5080;
    let silentPort = 0;
    if (c.silent) {
      const silent = createSocket('udp4');
      silent.on('message', noop);
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
      t.teardown(() => silent.close());
      silentPort = silent.address().port;
      ports[silentPort] = 5085;
    }
    let b: SippProcess | undefined;
    const trace = (p: string): string[] => ['-trace_msg', '-message_file', join(p, 'messages.log')];
    if (c.b) b = await startSipp(t, { scenario: scenario(c.b), localPort: bPort, timeoutMs: 20000, extraArgs: trace('') });
    const srf = new Srf();
    srf.on('error', noop);
    t.teardown(() => {
      try {
        srf.disconnect();
      } catch {
        /* never connected */
      }
    });
    const wantsCdr = appFrames(rec, 'admin conn 1').some((f) => f.includes('|route|cdr:'));
    if (wantsCdr)
      for (const ev of ['cdr:attempt', 'cdr:start', 'cdr:stop'])
        (srf as unknown as { on(e: string, f: () => void): void }).on(ev, noop);
    await c.app(srf, { bPort, silentPort });
    await new Promise<void>((resolve) => {
      srf.once('connect', () => resolve());
      void (srf as unknown as { connect(o: object): unknown }).connect({ host: '127.0.0.1', port: tap.port, secret: SECRET });
    });
    // the app's routes are in place once the server has answered each (the recording says how many)
    const routes = appFrames(rec, 'admin conn 1').filter((f) => f.includes('|route|')).length;
    await until(() => tap.toApp.filter((f) => f.includes('|response|')).length >= 1 + routes);
    const a = c.a
      ? await startSipp(t, {
          scenario: scenario(c.a.scenario),
          remote: ts.sip,
          service: c.a.service,
          localPort: aPort,
          timeoutMs: 20000,
          extraArgs: trace(''),
          transport: c.a.transport,
        })
      : undefined;
    if (a) t.equal((await a.wait()).code, 0, 'sipp-A completed its scenario');
    if (b) t.equal((await b.wait()).code, 0, 'sipp-B completed its scenario');
    // every frame the recording has reached the app (timeouts included: Timer B/F run 64*T1)...
    await until(() => tap.toApp.length >= serverFrames(rec).length, { timeoutMs: 20000 });
    // ...and the test: a frame too many would arrive in this span
    await delay(c.settleMs ? 300 : 150);
    compare(t, tap.toApp, serverFrames(rec), ports);
    if (c.network === false) return;
    for (const [peer, proc] of [
      ['sipp-A', a],
      ['sipp-B', b],
    ] as const) {
      if (!proc) continue;
      const file = join(proc.dir, 'messages.log');
      const got = existsSync(file) ? sippReceived(readFileSync(file, 'latin1')) : [];
      const want = recordedToPeer(rec, peer);
      t.same(
        got.map((p) => normalizePacket(p, ports)),
        want.map((p) => normalizePacket(p, ports)),
        `SIP packets to ${peer} match the recording`,
      );
    }
  });
}

t.test('a1-auth-route-ping', async (t) => {
  const rec = loadTranscript('a1-auth-route-ping');
  const ts = await startServer(t);
  const tap = new AdminTap(ts.adminPort);
  t.teardown(() => tap.close());
  await tap.start();
  const srf = new Srf();
  srf.on('error', noop);
  t.teardown(() => {
    try {
      srf.disconnect();
    } catch {
      /* never connected */
    }
  });
  for (const ev of ['cdr:attempt', 'cdr:start', 'cdr:stop'])
    (srf as unknown as { on(e: string, f: () => void): void }).on(ev, noop);
  srf.invite(noop);
  // the recording pinged every 5 s (srf's minimum) for 11.5 s
  void (srf as unknown as { connect(o: object): unknown }).connect({
    host: '127.0.0.1',
    port: tap.port,
    secret: SECRET,
    enablePing: true,
    pingInterval: 5000,
  });
  await until(() => tap.toApp.length >= serverFrames(rec).length, { timeoutMs: 20000 });
  compare(t, tap.toApp, serverFrames(rec), { [ts.sipPort]: 5060 });
});

for (const name of ['a2-auth-failure', 'a3-raw-admin-probes']) {
  t.test(name, async (t) => {
    const rec = loadTranscript(name);
    const ts = await startServer(t);
    const silent = await freePort();
    const sub = (s: string): string => s.replace(/127\.0\.0\.1:5099/g, `127.0.0.1:${silent}`);
    const conns = [...new Set(rec.filter((f) => f.where?.startsWith('admin conn')).map((f) => f.where!))];
    for (const conn of conns) {
      // our transport learns of an ICMP error on the next send (Timer E), so give each frame time to settle
      const r = await replayConnection(
        ts.adminPort,
        rec.filter((f) => f.dir === 'APP->SRV' && f.where === conn).map((f) => f.raw!),
        sub,
        700,
      );
      const closedRecorded =
        rec.findIndex((f) => f.where === conn && f.event === 'SRV TCP close (FIN)') <
        rec.findIndex((f) => f.where === conn && f.event === 'APP TCP close (FIN)');
      t.equal(r.closedByServer, closedRecorded, `${conn}: server closes first: ${closedRecorded}`);
      compare(t, r.frames, serverFrames(rec, conn), { [ts.sipPort]: 5060, [silent]: 5099 });
    }
  });
}
