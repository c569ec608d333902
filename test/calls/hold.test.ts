/**
 * Hold and resume by re-INVITE in a bridged call: baresip's `hold` re-offers `sendonly`, the
 * platform answers `recvonly`; `resume` re-offers `sendrecv` and the audio flows through the bridge
 * again. The call survives both. (baresip's sndfile stops dumping the holding phone's decoded
 * audio at its first re-INVITE, so the direction towards the holding party is checked with sipp.)
 */
import t from 'tap';
import { once } from 'node:events';
import { startTestPlatform } from '../helpers/platform.js';
import { dialAndWait, heard, registeredPhone, sleep, tempDir, toneSeconds, toneWav, heardSeconds, untilHeard } from './phones.js';
import type { Leg } from '../../src/calls/leg.js';
import { freeMediaPort, runSipp } from '../helpers/sipp.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

t.setTimeout(240000); // generous for a loaded machine; each wait inside has its own deadline

function direction(sdp: string): string {
  return /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(sdp)?.[1] ?? 'sendrecv';
}

/** The next re-INVITE the platform answers on this leg: both SDPs are settled once it fires. */
async function nextReoffer(leg: Leg, what: string, timeoutMs = 5000): Promise<{ offer: string; answer: string; status: number }> {
  const [e] = await once(leg.dialog, 'reoffer', { signal: AbortSignal.timeout(timeoutMs) }).catch(() => {
    throw new Error(`timeout waiting for ${what}`);
  });
  return e as { offer: string; answer: string; status: number };
}

for (const codecs of [
  ['PCMU', 'PCMU'],
  ['opus', 'PCMU'],
] as const) {
  t.test(`hold and resume in a bridged call (${codecs[0]} holds ${codecs[1]})`, async (t) => {
    const dir = tempDir(t, 'calls-hold-');
    const tp = await startTestPlatform(t, { users: ['alice', 'bob'] });
    const alice = await registeredPhone(t, tp, 'alice', { codecs: [codecs[0]], wav: toneWav(dir, 1000) });
    const bob = await registeredPhone(t, tp, 'bob', { codecs: [codecs[1]], wav: toneWav(dir, 600), autoAnswer: true });
    const nextCall = tp.nextCall();
    await dialAndWait(alice, tp, 'bob');
    const call = await nextCall;
    const caller = call.legs.find((l) => l.role === 'caller') as Leg;

    await untilHeard(bob, 1.5);
    const heldAt = Date.now();
    const hold = nextReoffer(caller, 'the hold re-INVITE');
    await alice.command('hold');
    const held = await hold;
    t.equal(held.status, 200, 'the hold re-INVITE is answered 200');
    t.match(direction(held.offer), /sendonly|inactive/, `alice's re-offer puts the call on hold (${direction(held.offer)})`);
    t.match(direction(held.answer), /recvonly|inactive/, `the platform answers ${direction(held.answer)}`);
    t.equal(caller.dialog.localSdp, held.answer, 'the dialog keeps the answer as its local SDP');
    // the test: on hold for a measured 2 s (bob hears nothing meanwhile, so there is no audio to count)
    await sleep(2000);
    const resume = nextReoffer(caller, 'the resume re-INVITE');
    await alice.command('resume');
    const resumed = await resume;
    const holdS = (Date.now() - heldAt) / 1000;
    t.equal(direction(resumed.offer), 'sendrecv', 'alice re-offers sendrecv');
    t.equal(direction(resumed.answer), 'sendrecv', 'the platform answers sendrecv again');
    t.equal(call.state, 'active', 'the call survived hold and resume');
    await untilHeard(bob, heardSeconds(bob) + 1.5);

    const ended = once(call, 'ended');
    const bobClosed = bob.waitFor('CALL_CLOSED', 5000);
    await alice.hangup();
    await bobClosed;
    await ended;

    // baresip goes quiet while it holds and speaks again once resumed. Bob's stream was never
    // re-negotiated (the platform anchors the media), so his dump is whole; it only holds the audio
    // that arrived, so what alice did not send while holding is missing from it.
    const callS = (call.answeredAt ? Date.now() - call.answeredAt : 0) / 1000;
    const atBob = heard(bob);
    const aliceTone = toneSeconds(atBob, 1000);
    t.ok(aliceTone >= 2.2, `bob heard alice before the hold and after the resume (${aliceTone} s)`);
    t.ok(
      aliceTone <= callS - holdS + 0.8,
      `nothing of alice while on hold (${aliceTone} s of a ${callS.toFixed(1)} s call, ${holdS.toFixed(1)} s on hold)`,
    );
  });
}

t.test('a sipp desk phone holds and resumes: the platform stops sending to it while held', async (t) => {
  const dir = tempDir(t, 'calls-hold-');
  const tp = await startTestPlatform(t, { users: ['alice', 'bob'] });
  const bob = await registeredPhone(t, tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });
  const nextCall = tp.nextCall();
  // sipp echoes what reaches it, so bob hears his own 600 Hz exactly while the platform sends to sipp.
  const result = runSipp(t, {
    scenario: join(scenarios, 'uac-hold-resume.xml'),
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: 'bob',
    timeoutMs: 20000,
    keys: { caller: 'alice' },
    extraArgs: [
      '-au',
      'alice',
      '-ap',
      tp.password('alice'),
      '-rtp_echo',
      '-mp',
      String(await freeMediaPort()),
      '-mi',
      '127.0.0.1',
    ],
  });
  const call = await nextCall;
  const r = await result;
  t.equal(
    r.code,
    0,
    `sipp: answered, hold answered recvonly, resume answered sendrecv, BYE ${r.code ? r.errors.slice(0, 400) : ''}`,
  );
  if (!call.isEnded()) await once(call, 'ended');
  const callS = (Date.now() - (call.answeredAt ?? Date.now())) / 1000;
  t.ok(call.answeredAt !== undefined, 'the call was answered');
  await bob.waitFor('CALL_CLOSED', 5000).catch(() => undefined);

  // About 2 s before the hold and 2 s after it; none of the 2 s on hold.
  const atBob = heard(bob);
  const echoed = toneSeconds(atBob, 600);
  t.ok(echoed >= 2.5, `bob heard his voice come back before the hold and after the resume (${echoed} s)`);
  t.ok(echoed <= callS - 1.5, `and not while the desk phone held the call (${echoed} s of a ${callS.toFixed(1)} s call)`);
});
