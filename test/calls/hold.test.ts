/**
 * Hold and resume by re-INVITE in a bridged call: baresip's `hold` re-offers `sendonly`, the
 * platform answers `recvonly`; `resume` re-offers `sendrecv` and the audio flows through the bridge
 * again. The call survives both. (baresip's sndfile stops dumping the holding phone's decoded
 * audio at its first re-INVITE, so the direction towards the holding party is checked with sipp.)
 */
import t from 'tap';
import { once } from 'node:events';
import { sharedPlatform } from '../helpers/platform.js';
import { dialAndWait, heard, heardSeconds, registeredPhone, sleep, tempDir, toneSeconds, toneWav, untilHeard } from './phones.js';
import type { Leg } from '../../src/calls/leg.js';
import { freeMediaPort, startSipp } from '../helpers/sipp.js';
import { signalSipp, sippCallId } from '../helpers/sipp-signal.js';
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

// One platform for the file; each subtest's phones are users of their own.
const platform = sharedPlatform(t, { users: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] });

for (const [codecs, holder, other] of [
  [['PCMU', 'PCMU'], 'alice', 'bob'],
  [['opus', 'PCMU'], 'carol', 'dave'],
] as const) {
  t.test(`hold and resume in a bridged call (${codecs[0]} holds ${codecs[1]})`, async (t) => {
    const dir = tempDir(t, 'calls-hold-');
    const tp = await platform();
    const alice = await registeredPhone(t, tp, holder, { codecs: [codecs[0]], wav: toneWav(dir, 1000) });
    const bob = await registeredPhone(t, tp, other, { codecs: [codecs[1]], wav: toneWav(dir, 600), autoAnswer: true });
    const nextCall = tp.nextCall();
    await dialAndWait(alice, tp, other);
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
  const tp = await platform();
  const bob = await registeredPhone(t, tp, 'erin', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });
  const nextCall = tp.nextCall();
  // sipp echoes what reaches it, so erin hears her own 600 Hz exactly while the platform sends to sipp.
  const echoed = (): number => toneSeconds(heard(bob), 600);
  const go = sippCallId();
  const phone = await startSipp(t, {
    scenario: join(scenarios, 'uac-hold-resume.xml'),
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: 'erin',
    timeoutMs: 60000,
    keys: { caller: 'frank' },
    extraArgs: [
      '-au',
      'frank',
      '-ap',
      tp.password('frank'),
      '-rtp_echo',
      '-mp',
      String(await freeMediaPort()),
      '-mi',
      '127.0.0.1',
      ...go.args,
    ],
  });
  const call = await nextCall;
  const caller = (): Leg => {
    const leg = call.legs.find((l) => l.role === 'caller');
    if (!leg) throw new Error('no caller leg');
    return leg;
  };
  // talking: the desk phone holds once erin has heard a second and a bit come back (the wait reads
  // only the dump's length; the tone in it is measured once per stage)
  await untilHeard(bob, 1.2);
  const beforeHold = echoed();
  t.ok(beforeHold >= 1, `erin heard her voice come back before the hold (${beforeHold} s)`);
  const hold = nextReoffer(caller(), 'the hold re-INVITE', 10000);
  await signalSipp(phone.localPort, go.callId);
  await hold;
  const heldAt = Date.now();
  const atHold = echoed();
  // On hold for a measured span: nothing comes back meanwhile, so there is no audio to wait for.
  await sleep(1500);
  const whileHeld = echoed();
  const resume = nextReoffer(caller(), 'the resume re-INVITE', 10000);
  await signalSipp(phone.localPort, go.callId);
  await resume;
  const heldS = (Date.now() - heldAt) / 1000;
  // talking again: the phone hangs up once a second more has come back
  await untilHeard(bob, heardSeconds(bob) + 1.2);
  await signalSipp(phone.localPort, go.callId);
  const r = await phone.wait();
  t.equal(
    r.code,
    0,
    `sipp: answered, hold answered recvonly, resume answered sendrecv, BYE ${r.code ? r.errors.slice(0, 400) : ''}`,
  );
  if (!call.isEnded()) await once(call, 'ended');
  const callS = (Date.now() - (call.answeredAt ?? Date.now())) / 1000;
  t.ok(call.answeredAt !== undefined, 'the call was answered');
  await bob.waitFor('CALL_CLOSED', 5000).catch(() => undefined);

  // Audio before the hold and after the resume; none of the span on hold (packets already in flight aside).
  const total = echoed();
  t.ok(
    whileHeld - atHold <= 0.4,
    `nothing came back while the desk phone held the call (${atHold} s -> ${whileHeld} s over ${heldS.toFixed(1)} s held)`,
  );
  t.ok(total >= whileHeld + 1, `erin heard her voice come back after the resume (${total} s in all)`);
  t.ok(
    total <= callS - heldS + 0.5,
    `and not while the desk phone held the call (${total} s of a ${callS.toFixed(1)} s call, ${heldS.toFixed(1)} s held)`,
  );
});
