import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort, runSipp, startSipp, type TeardownHost } from '../../helpers/sipp.js';
import { startStack } from './harness.js';
import type { InboundCall, SipLeg } from '../../../sip/sip-app.js';

const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/sip/app/scenarios');

/** sipp cannot take a response code from -key, so write a copy of the scenario with it filled in. */
function expectScenario(t: TeardownHost, status: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-sipp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, `uac-invite-expect-${status}.xml`);
  writeFileSync(path, readFileSync(join(scenarios, 'uac-invite-expect.xml'), 'utf8').replaceAll('__EXPECT__', String(status)));
  return path;
}

function answerSdp(direction: string): string {
  return [
    'v=0',
    'o=sb 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 30000 RTP/AVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

t.test('inbound call from a trunk source address: call event, answer, INFO DTMF, re-INVITE hold/resume, BYE', async (t) => {
  const sippPort = await freePort();
  const stack = await startStack(t, {
    trunks: [
      {
        name: 'carrier',
        host: '127.0.0.1',
        port: sippPort,
        transport: 'udp',
        register: false,
        expires: 3600,
        inboundAddresses: [],
      },
    ],
  });
  const dtmf: string[] = [];
  const reoffers: string[] = [];
  const ended: string[] = [];
  let call: InboundCall | undefined;
  stack.app.on('call', async (c) => {
    call = c;
    c.ringing();
    const leg: SipLeg = await c.answer(answerSdp('sendrecv'));
    leg.on('dtmf', (d) => dtmf.push(`${d.digit}/${d.durationMs}`));
    leg.onReoffer = async (offer) => {
      reoffers.push(/a=(sendonly|sendrecv|recvonly|inactive)/.exec(offer)?.[1] ?? '?');
      return answerSdp(offer.includes('a=sendonly') ? 'recvonly' : 'sendrecv');
    };
    leg.on('ended', ({ by }) => ended.push(by));
  });
  const r = await runSipp(t, {
    scenario: join(scenarios, 'uac-call-info-reinvite.xml'),
    remote: `127.0.0.1:${stack.udpPort}`,
    localPort: sippPort,
    service: '15550001',
    timeoutMs: 10000,
  });
  t.equal(r.code, 0, r.errors || r.stderr);
  t.ok(call, 'call event');
  t.same(call?.origin, { kind: 'trunk', trunk: 'carrier' });
  t.equal(call?.to.user, '15550001');
  t.equal(call?.from.user, 'carol');
  t.equal(call?.from.displayName, 'Carol');
  t.match(call?.offer ?? '', /m=audio \d+ RTP\/AVP 0 101/);
  t.same(dtmf, ['5/160']);
  t.same(reoffers, ['sendonly', 'sendrecv']);
  t.same(ended, ['remote']);
});

t.test('inbound INVITE from an unknown source: 407, then an authenticated user call', async (t) => {
  const stack = await startStack(t);
  let origin: unknown;
  stack.app.on('call', (c) => {
    origin = c.origin;
    c.reject(486, 'Busy Here');
  });
  const r = await runSipp(t, {
    scenario: expectScenario(t, 486),
    remote: `127.0.0.1:${stack.udpPort}`,
    service: 'bob',
    extraArgs: ['-au', 'alice', '-ap', 'alice-pw'],
    timeoutMs: 8000,
  });
  t.equal(r.code, 0, r.errors || r.stderr);
  t.same(origin, { kind: 'user', user: 'alice' });
});

t.test('wrong credentials on INVITE: 403, no call event', async (t) => {
  const stack = await startStack(t);
  let calls = 0;
  stack.app.on('call', () => {
    calls++;
  });
  const r = await runSipp(t, {
    scenario: expectScenario(t, 403),
    remote: `127.0.0.1:${stack.udpPort}`,
    service: 'bob',
    extraArgs: ['-au', 'alice', '-ap', 'nope'],
    timeoutMs: 8000,
  });
  t.equal(r.code, 0, r.errors || r.stderr);
  t.equal(calls, 0);
});

t.test('INVITE with no call listener: 480', async (t) => {
  const sippPort = await freePort();
  const stack = await startStack(t, {
    trunks: [
      {
        name: 'carrier',
        host: '127.0.0.1',
        port: sippPort,
        transport: 'udp',
        register: false,
        expires: 3600,
        inboundAddresses: [],
      },
    ],
  });
  t.equal(stack.app.listenerCount('call'), 0);
  const r = await runSipp(t, {
    scenario: expectScenario(t, 480),
    remote: `127.0.0.1:${stack.udpPort}`,
    localPort: sippPort,
    service: '100',
    timeoutMs: 8000,
  });
  t.equal(r.code, 0, r.errors || r.stderr);
});

t.test('caller cancels while ringing: cancel event, answer() then fails with 487', async (t) => {
  const sippPort = await freePort();
  const stack = await startStack(t, {
    trunks: [
      {
        name: 'carrier',
        host: '127.0.0.1',
        port: sippPort,
        transport: 'udp',
        register: false,
        expires: 3600,
        inboundAddresses: [],
      },
    ],
  });
  let canceled = false;
  let answerStatus: number | undefined;
  const done = new Promise<void>((resolve) => {
    stack.app.on('call', (c) => {
      c.ringing();
      c.once('cancel', () => {
        canceled = true;
        c.answer(answerSdp('sendrecv')).then(
          () => resolve(),
          (e: { status?: number }) => {
            answerStatus = e.status;
            resolve();
          },
        );
      });
    });
  });
  const r = await runSipp(t, {
    scenario: join(scenarios, 'uac-invite-cancel.xml'),
    remote: `127.0.0.1:${stack.udpPort}`,
    localPort: sippPort,
    service: '15550002',
    timeoutMs: 8000,
  });
  await done;
  t.equal(r.code, 0, r.errors || r.stderr);
  t.ok(canceled, 'cancel event');
  t.equal(answerStatus, 487);
});

for (const challenge of [407, 401]) {
  t.test(`outbound call through a challenging trunk: ${challenge} answered, 180 progress, 200, BYE`, async (t) => {
    const sippPort = await freePort();
    const stack = await startStack(t, {
      trunks: [
        {
          name: 'carrier',
          host: '127.0.0.1',
          port: sippPort,
          transport: 'udp',
          register: false,
          expires: 3600,
          inboundAddresses: [],
          username: 'acct',
          password: 'trunk-pw',
          fromUser: '4415550000',
        },
      ],
    });
    const sipp = await startSipp(t, {
      scenario: join(scenarios, `uas-invite-${challenge}.xml`),
      localPort: sippPort,
      keys: { user: 'acct', pass: 'trunk-pw' },
      timeoutMs: 10000,
      extraArgs: process.env.SIPP_TRACE ? ['-trace_msg', '-message_file', '/tmp/sipp-trace.log'] : [],
    });
    const progress: number[] = [];
    const call = stack.app.dial(
      { trunk: 'carrier', number: '+15551234' },
      {
        sdp: answerSdp('sendrecv'),
        from: { user: 'alice' },
        onProgress: (s) => progress.push(s),
      },
    );
    const leg = await call.leg;
    t.match(leg.remoteSdp, /o=carrier 7 7/);
    t.same(progress, [180]);
    await new Promise((r) => setTimeout(r, 100)); // the call lasts a moment before the BYE
    await leg.hangup();
    const r = await sipp.wait();
    t.equal(r.code, 0, r.errors || r.stderr);
  });
}

t.test('outbound call through a TCP trunk that challenges with 407', async (t) => {
  const sippPort = await freePort();
  const stack = await startStack(t, {
    tcp: true,
    trunks: [
      {
        name: 'carrier',
        host: '127.0.0.1',
        port: sippPort,
        transport: 'tcp',
        register: false,
        expires: 3600,
        inboundAddresses: [],
        username: 'acct',
        password: 'trunk-pw',
      },
    ],
  });
  const sipp = await startSipp(t, {
    scenario: join(scenarios, 'uas-invite-407.xml'),
    localPort: sippPort,
    transport: 't1',
    timeoutMs: 10000,
  });
  const leg = await stack.app.dial({ trunk: 'carrier', number: '2000' }, { sdp: answerSdp('sendrecv') }).leg;
  t.match(leg.remoteSdp, /o=carrier 7 7/);
  await leg.hangup();
  const r = await sipp.wait();
  t.equal(r.code, 0, r.errors || r.stderr);
});
