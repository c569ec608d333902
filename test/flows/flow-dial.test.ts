/**
 * DIAL on real calls: a baresip phone calls a DID whose application's flow DIALs. To a registered
 * agent: both phones hear each other's tone through the bridge, the agent hangs up, the flow goes
 * on and the next callback carries the result and the dialed leg's own record id. Through a sipp
 * carrier that answers 486: `busy` drives an IF into a second DIAL that rings out (`no-answer`,
 * the agent's phone gets CANCEL); a spoofed caller ID and a premium number are refused without
 * dialing. The caller hanging up while the agent rings: the agent's phone gets CANCEL.
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import type { Call } from '../../src/calls/call.js';
import { CARRIER, startCallsPlatform, type CallsPlatform } from '../api/calls-rig.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { until } from '../helpers/wait.js';
import { heard, peakHz, registeredPhone, tempDir, toneSeconds, toneWav } from '../calls/phones.js';
import { CallbackServer, type ReceivedRequest } from './flow-fakes.js';

t.setTimeout(240000);

const DID = '+14155550100';
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/scenarios');

type Answer = (req: ReceivedRequest) => unknown;

/** The platform with a carrier trunk, phones alice and bob, and DID → an application whose callbacks `answer`. */
async function rig(t: Test, carrierPort: number, answer: Answer) {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.routes.set('/flow', (req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(req) ?? {}));
  });
  const cp: CallsPlatform = await startCallsPlatform(t, {
    carrierPort,
    users: ['alice', 'bob'],
    config: { webhooks: { allowPrivateTargets: true } },
  });
  const store = cp.tp.platform.store;
  const app = await store.applications.create({
    projectId: cp.projectId,
    name: 'dialer',
    callbackUrl: server.url('/flow'),
    callbackMethod: 'POST',
    callbackFormat: 'json',
  });
  await store.numbers.assign(cp.projectId, DID, { kind: 'application', applicationId: app.id });
  const dialed: Call[] = [];
  cp.tp.platform.calls.on('added', (c: Call) => {
    if (c.route === 'flow-dial') dialed.push(c);
  });
  return { server, cp, store, dialed };
}

const dialsOf = (r: ReceivedRequest | undefined) =>
  (r?.fields.dials ?? []) as { name: string; status: string; duration: number; call_id: string | null; no: string }[];

t.test('DIAL an agent: both hear each other, the agent hangs up, the flow goes on with the result', async (t) => {
  const dir = tempDir(t, 'flow-dial-');
  const { server, cp, store, dialed } = await rig(t, await freePort(CARRIER), (req) =>
    req.fields.type === 'init_call'
      ? { actions: [{ type: 'DIAL', name: 'agent', params: { no: 'bob', timeout: 30 } }] }
      : { actions: [{ type: 'HANGUP' }] },
  );
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  const bob = await registeredPhone(t, cp.tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });

  // Auto-answering, bob's phone reports the call established rather than incoming.
  const incoming = bob.waitFor('CALL_ESTABLISHED', 30000);
  const aliceClosed = alice.waitFor('CALL_CLOSED', 90000);
  await alice.dial(`sip:${DID.slice(1)}@${cp.tp.sip.host}:${cp.tp.sip.port}`);
  const ring = await incoming;
  t.match(String(ring.peeruri ?? ''), DID, `bob sees the DID as caller ID (${ring.peeruri})`);
  const both = await until(() => toneSeconds(heard(bob), 1000) >= 2 && toneSeconds(heard(alice), 600) >= 2, {
    timeoutMs: 45000,
    intervalMs: 500,
  });
  t.ok(both, 'both phones heard the other for 2 s');
  const atBob = heard(bob);
  const atAlice = heard(alice);
  t.comment(`bob heard 1 kHz for ${toneSeconds(atBob, 1000)} s, alice 600 Hz for ${toneSeconds(atAlice, 600)} s`);
  const end = atAlice.samples.length / atAlice.rate;
  t.ok(Math.abs(peakHz(atAlice, end - 1.5, end) - 600) <= 20, `alice hears bob's 600 Hz (${peakHz(atAlice, end - 1.5, end)} Hz)`);

  const child = dialed[0];
  t.ok(child, 'the dialed leg is a call of its own (route flow-dial)');
  await bob.hangup();
  await aliceClosed;
  const next = await server.waitFor('actions_complete', 20000);
  const [result] = dialsOf(next);
  t.match(result, { name: 'agent', status: 'answered', no: 'bob' }, 'the next callback carries the result');
  t.ok((result?.duration ?? 0) >= 1000, `connected for ${result?.duration} ms`);
  t.equal(result?.call_id, String(child?.recordId), "call_id is the dialed leg's record");
  const record = await store.calls.get(Number(result?.call_id));
  t.match(record, { direction: 'outbound', from: DID, to: 'bob', status: 'completed' }, 'the dialed leg has its own record');
  await server.waitFor('call_ended', 20000);
  t.ok(await until(() => cp.tp.platform.calls.size === 0 && cp.tp.platform.media.stats().portsInUse === 0, { timeoutMs: 15000 }));
  t.equal(cp.tp.platform.media.stats().portsInUse, 0, 'every RTP port released');
});

t.test('busy through the carrier drives an IF; no-answer CANCELs the agent; spoofing and premium numbers refused', async (t) => {
  const dir = tempDir(t, 'flow-dial-');
  const carrierPort = await freePort(CARRIER);
  const carrier = await startSipp(t, {
    scenario: join(scenarios, 'uas-busy.xml'),
    localHost: CARRIER,
    localPort: carrierPort,
    calls: 1,
    timeoutMs: 90000,
  });
  const { server, cp } = await rig(t, carrierPort, (req) =>
    req.fields.type === 'init_call'
      ? {
          actions: [
            { type: 'DIAL', name: 'spoof', params: { no: '+33612345678', caller_id_no: '+12125550000' } },
            { type: 'DIAL', name: 'premium', params: { no: '+19005550123' } },
            { type: 'DIAL', name: 'busy', params: { no: '+33612345678' } },
            {
              type: 'IF',
              condition: "$dialStatus == 'busy' && $dials.spoof.status == 'failed'",
              then: [{ type: 'DIAL', name: 'late', params: { no: 'bob', timeout: 2 } }],
            },
          ],
        }
      : { actions: [{ type: 'HANGUP' }] },
  );
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  const bob = await registeredPhone(t, cp.tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600) });
  const incoming = bob.waitFor('CALL_INCOMING', 60000);
  const bobClosed = bob.waitFor('CALL_CLOSED', 60000);
  await alice.dial(`sip:${DID.slice(1)}@${cp.tp.sip.host}:${cp.tp.sip.port}`);
  await incoming;
  const closed = await bobClosed;
  t.match(String(closed.param ?? ''), /Connection reset|cancel|487/i, `bob's ringing was cancelled after 2 s (${closed.param})`);
  const next = await server.waitFor('actions_complete', 30000);
  t.same(
    dialsOf(next).map((d) => [d.name, d.status, d.call_id === null]),
    [
      ['spoof', 'failed', true],
      ['premium', 'failed', true],
      ['busy', 'busy', false],
      ['late', 'no-answer', false],
    ],
    'refused dials never rang; busy and no-answer came from the far ends',
  );
  const run = await carrier.wait();
  t.equal(run.code, 0, `the carrier got exactly one INVITE and answered it 486 ${run.code ? run.errors.slice(0, 300) : ''}`);
  await server.waitFor('call_ended', 20000);
  t.ok(await until(() => cp.tp.platform.calls.size === 0 && cp.tp.platform.media.stats().portsInUse === 0, { timeoutMs: 15000 }));
  t.equal(cp.tp.platform.media.stats().portsInUse, 0, 'every RTP port released');
});

t.test('the caller hangs up while the agent rings: the agent gets CANCEL, the final callback has the result', async (t) => {
  const dir = tempDir(t, 'flow-dial-');
  const { server, cp, dialed } = await rig(t, await freePort(CARRIER), () => ({
    actions: [{ type: 'DIAL', name: 'agent', params: { no: 'bob', timeout: 60 } }],
  }));
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  const bob = await registeredPhone(t, cp.tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600) });
  const incoming = bob.waitFor('CALL_INCOMING', 30000);
  const bobClosed = bob.waitFor('CALL_CLOSED', 30000);
  const established = alice.waitFor('CALL_ESTABLISHED', 30000);
  await alice.dial(`sip:${DID.slice(1)}@${cp.tp.sip.host}:${cp.tp.sip.port}`);
  await established;
  await incoming;
  await alice.hangup();
  const closed = await bobClosed;
  t.match(String(closed.param ?? ''), /Connection reset|cancel|487/i, `bob's ringing was cancelled (${closed.param})`);
  const final = await server.waitFor('call_ended', 20000);
  t.match(dialsOf(final), [{ name: 'agent', status: 'canceled', duration: 0 }]);
  const child = dialed[0];
  if (child && !child.isEnded()) await once(child, 'ended');
  t.equal(child?.status, 'canceled', 'the dialed call ended canceled');
  t.ok(await until(() => cp.tp.platform.calls.size === 0 && cp.tp.platform.media.stats().portsInUse === 0, { timeoutMs: 15000 }));
  t.equal(cp.tp.platform.media.stats().portsInUse, 0, 'every RTP port released');
});
