/**
 * CONFERENCE on real calls: three baresip phones call a DID whose flow puts them in one room, each
 * playing its own tone. Two in the room hear each other (and not themselves); a third joins, hears
 * both, and both hear it. The first presses # to leave: its script goes on (it hears the SAY after
 * CONFERENCE, then the flow calls back and hangs up), while the two left in the room keep hearing
 * each other and no longer hear the one who left. The room closes with its last member.
 */
import t from 'tap';
import type { ServerResponse } from 'node:http';
import { CARRIER, startCallsPlatform } from '../api/calls-rig.js';
import { freePort } from '../helpers/sipp.js';
import { until } from '../helpers/wait.js';
import { type Heard, heard, registeredPhone, tempDir, toneSeconds, toneWav } from '../calls/phones.js';
import type { Baresip } from '../helpers/baresip.js';
import { CallbackServer } from './flow-fakes.js';
import { speechSeconds } from './heard-speech.js';

t.setTimeout(240000);

const DID = '+14155550100';
// Far from each other's harmonics and inside the PCMU band.
const HZ = { alice: 450, bob: 1050, carol: 1750 } as const;
type Name = keyof typeof HZ;

/** The part of what a phone heard from `fromS` seconds on. */
const after = (h: Heard, fromS: number): Heard => ({ samples: h.samples.subarray(Math.floor(fromS * h.rate)), rate: h.rate });
const seconds = (h: Heard): number => h.samples.length / h.rate;

t.test('three phones in one CONFERENCE hear each other; one leaves and its script goes on', async (t) => {
  const dir = tempDir(t, 'flow-conference-');
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.routes.set('/flow', (req, res: ServerResponse) => {
    const body =
      req.fields.type === 'init_call'
        ? {
            actions: [
              { type: 'CONFERENCE', params: { name: 'standup' } },
              { type: 'SAY', params: { text: 'You have left the conference. Goodbye for now.' } },
            ],
          }
        : { actions: [{ type: 'HANGUP' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const cp = await startCallsPlatform(t, {
    carrierPort: await freePort(CARRIER),
    users: ['alice', 'bob', 'carol'],
    // flite starts while the phones join: a cold start on a loaded machine takes many seconds.
    config: { webhooks: { allowPrivateTargets: true }, speech: { tts: { warmUp: true } } },
  });
  const store = cp.tp.platform.store;
  const app = await store.applications.create({
    projectId: cp.projectId,
    name: 'conference',
    callbackUrl: server.url('/flow'),
    callbackMethod: 'POST',
    callbackFormat: 'json',
  });
  await store.numbers.assign(cp.projectId, DID, { kind: 'application', applicationId: app.id });

  const phones = {} as Record<Name, Baresip>;
  // baresip hangs up when its microphone file ends: long enough for the slowest run.
  for (const name of Object.keys(HZ) as Name[])
    phones[name] = await registeredPhone(t, cp.tp, name, { codecs: ['PCMU'], wav: toneWav(dir, HZ[name], 150) });
  const { alice, bob, carol } = phones;
  const join = async (p: Baresip): Promise<void> => {
    const established = p.waitFor('CALL_ESTABLISHED', 30000);
    await p.dial(`sip:${DID.slice(1)}@${cp.tp.sip.host}:${cp.tp.sip.port}`);
    await established;
  };
  const hears = (listener: Baresip, talker: Name, from = 0): number => toneSeconds(after(heard(listener), from), HZ[talker]);

  await join(alice);
  await join(bob);
  t.ok(
    await until(() => hears(alice, 'bob') >= 2 && hears(bob, 'alice') >= 2, { timeoutMs: 45000, intervalMs: 500 }),
    'alice and bob hear each other for 2 s',
  );
  t.comment(`alice heard bob ${hears(alice, 'bob')} s, bob heard alice ${hears(bob, 'alice')} s`);
  t.ok(hears(alice, 'alice') < 0.5, `alice does not hear herself (${hears(alice, 'alice')} s)`);
  t.ok(hears(bob, 'bob') < 0.5, `bob does not hear himself (${hears(bob, 'bob')} s)`);

  // Only what arrives after carol joined counts for her tone: nothing of it can have been there before.
  const carolAt = { alice: seconds(heard(alice)), bob: seconds(heard(bob)) };
  t.equal(hears(alice, 'carol'), 0, 'nobody heard carol before she joined');
  await join(carol);
  t.ok(
    await until(
      () =>
        hears(carol, 'alice') >= 2 &&
        hears(carol, 'bob') >= 2 &&
        hears(alice, 'carol', carolAt.alice) >= 2 &&
        hears(bob, 'carol', carolAt.bob) >= 2,
      { timeoutMs: 45000, intervalMs: 500 },
    ),
    'carol hears alice and bob, and both hear carol, for 2 s',
  );
  t.comment(
    `carol heard alice ${hears(carol, 'alice')} s and bob ${hears(carol, 'bob')} s; ` +
      `alice heard carol ${hears(alice, 'carol')} s, bob heard carol ${hears(bob, 'carol')} s`,
  );
  t.ok(hears(carol, 'carol') < 0.5, `carol does not hear herself (${hears(carol, 'carol')} s)`);
  // Both others at once: the mix, not one of them at a time.
  const end = seconds(heard(alice));
  t.ok(
    hears(alice, 'bob', end - 1.5) >= 1 && hears(alice, 'carol', end - 1.5) >= 1,
    'in the last 1.5 s alice hears bob and carol together',
  );

  // alice leaves with the finish key: her script continues with the SAY, then calls back and hangs up.
  const aliceLeftAt = seconds(heard(alice));
  const bobAt = seconds(heard(bob));
  const carolLeftAt = seconds(heard(carol));
  const aliceClosed = alice.waitFor('CALL_CLOSED', 100000);
  await alice.sendDtmf('#');
  const next = await server.waitFor('actions_complete', 90000);
  t.ok(next, 'the flow called back after the SAY that follows CONFERENCE');
  await aliceClosed;
  const afterLeaving = after(heard(alice), aliceLeftAt);
  const spoke = speechSeconds(afterLeaving);
  t.ok(spoke >= 1, `alice heard the SAY after leaving the room (${spoke} s of speech)`);
  t.ok(toneSeconds(after(afterLeaving, 1), HZ.bob) < 0.5, 'alice no longer hears the room after leaving');

  // bob and carol are still in the room: they hear each other, and alice is gone from their mix.
  const stayed = await until(() => hears(bob, 'carol', bobAt + 1) >= 2 && hears(carol, 'bob', carolLeftAt + 1) >= 2, {
    timeoutMs: 45000,
    intervalMs: 500,
  });
  t.ok(stayed, 'bob and carol still hear each other after alice left');
  t.ok(hears(bob, 'alice', bobAt + 1) < 0.5, `bob no longer hears alice (${hears(bob, 'alice', bobAt + 1)} s)`);
  t.ok(hears(carol, 'alice', carolLeftAt + 1) < 0.5, `carol no longer hears alice (${hears(carol, 'alice', carolLeftAt + 1)} s)`);

  await bob.hangup();
  await carol.hangup();
  t.ok(
    await until(() => cp.tp.platform.calls.size === 0 && cp.tp.platform.media.stats().portsInUse === 0, { timeoutMs: 20000 }),
    'every call ended',
  );
  t.equal(cp.tp.platform.media.stats().portsInUse, 0, 'every RTP port released (the room closed with its last member)');
});
