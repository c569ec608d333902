/**
 * The PBX test numbers, dialed by a registered baresip phone: `*43` sends back what the phone
 * says; `*44` beeps, records the phone until it presses `#` (RFC 4733 from baresip), plays the
 * recording back and hangs up. Asserted on the audio the phone decoded, over time. A sipp desk
 * phone ends the recording with `#` as SIP INFO instead.
 */
import t from 'tap';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPlatform } from '../helpers/platform.js';
import type { DtmfEvent } from '../../media/types.js';
import { freeMediaPort, runSipp } from '../helpers/sipp.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  answeredState,
  dialAndWait,
  heard,
  peakHz,
  registeredPhone,
  settled,
  sleep,
  tempDir,
  toneSeconds,
  toneTrack,
  toneWav,
  untilHeard,
} from './phones.js';

t.setTimeout(240000); // generous for a loaded machine; each wait inside has its own deadline

// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

/** The *44 test recordings left in the recordings folder, once its release has had time to run. */
async function leftoverTestRecordings(dataDir: string): Promise<string[]> {
  const list = () => readdirSync(join(dataDir, 'recordings')).filter((f) => f.startsWith('echo-test-') && f.endsWith('.wav'));
  await settled(() => list().length === 0, 10000);
  return list();
}

// One platform for the file; each subtest's phone is a user of its own.
const platform = sharedPlatform(t, { users: ['alice', 'amy', 'ann', 'abe'] });

for (const [codec, user] of [
  ['PCMU', 'alice'],
  ['opus', 'amy'],
] as const) {
  t.test(`*43 echo (${codec}): the tone the phone sends comes back`, async (t) => {
    const dir = tempDir(t, 'calls-echo-');
    const tp = await platform();
    const phone = await registeredPhone(t, tp, user, { codecs: [codec], wav: toneWav(dir, 880) });
    const nextCall = tp.nextCall();
    await dialAndWait(phone, tp, '*43');
    const call = await nextCall;
    t.equal(await answeredState(call), 'active', 'the echo service answered');
    await untilHeard(phone, 3);
    const ended = once(call, 'ended');
    await phone.hangup();
    await ended;
    const h = heard(phone);
    const peak = peakHz(h, 0.5, 2.5);
    t.ok(Math.abs(peak - 880) <= 20, `${user} heard her own 880 Hz back (peak ${peak} Hz)`);
    t.ok(toneSeconds(h, 880) >= 2, `the echo lasted most of the call (${toneSeconds(h, 880)} s)`);
    t.ok(toneSeconds(h, 1000) < 0.3, 'nothing but the echo was heard');
  });
}

t.test('*44: beep, record until #, play the recording back, hang up', async (t) => {
  const dir = tempDir(t, 'calls-rec-');
  const tp = await platform();
  const phone = await registeredPhone(t, tp, 'ann', { codecs: ['PCMU'], wav: toneWav(dir, 700) });
  const nextCall = tp.nextCall();
  const started = Date.now();
  await dialAndWait(phone, tp, '*44');
  const call = await nextCall;
  const caller = call.legs.find((l) => l.role === 'caller');
  if (!caller) throw new Error('no caller leg');
  const digits: DtmfEvent[] = [];
  caller.on('dtmf', (e) => digits.push(e));

  // Beep (250 ms), then about two seconds of the phone's 700 Hz is recorded. A timed sleep on
  // purpose: the phone hears nothing while it is recorded, and the test measures this span.
  await sleep(2300);
  t.ok(
    existsSync(join(tp.dataDir, 'recordings', `echo-test-${call.id}.wav`)),
    'the test recording is being written under DATA_DIR/recordings',
  );
  const closed = phone.waitFor('CALL_CLOSED', 15000);
  const pressedAt = Date.now() - started;
  await phone.sendDtmf('#');
  const [info] = await once(call, 'ended');
  await closed;
  t.equal(info.reason, 'test recording played', 'the platform hung up after the playback');
  t.same(
    digits.map((d) => d.digit),
    ['#'],
    'the # pressed at the phone reached the leg as a dtmf event',
  );

  // sndfile writes only what arrived, so the file is the beep followed by the playback; the
  // stretch the phone spent being recorded is missing from it (no packets came).
  const h = heard(phone);
  const beep = toneTrack(h, 1000);
  const tone = toneTrack(h, 700);
  const answeredAt = call.answeredAt ?? started;
  const recordedS = (pressedAt - (answeredAt - started) - 250) / 1000;
  const callS = (Date.now() - answeredAt) / 1000;
  const heardS = h.samples.length / h.rate;
  const firstBeep = beep.findIndex((a) => a > 1000);
  const lastBeep = beep.length - 1 - [...beep].reverse().findIndex((a) => a > 1000);
  const firstPlayed = tone.findIndex((a) => a > 1000);
  t.ok(firstBeep === 0 || firstBeep === 1, `the beep came first (window ${firstBeep})`);
  t.ok(
    firstPlayed >= lastBeep && firstPlayed >= 0,
    `the phone's tone came after the beep (windows ${lastBeep} -> ${firstPlayed})`,
  );
  const playedS = toneSeconds(h, 700);
  t.ok(Math.abs(playedS - recordedS) <= 0.6, `the ${recordedS.toFixed(1)} s recorded were played back (${playedS} s of 700 Hz)`);
  t.ok(
    heardS < callS - recordedS + 0.8,
    `nothing came back while recording (heard ${heardS.toFixed(1)} s of a ${callS.toFixed(1)} s call)`,
  );
  t.same(await leftoverTestRecordings(tp.dataDir), [], 'no echo-test-*.wav is left once the call has ended');
});

t.test('*44: a # sent as SIP INFO (dtmf-relay) by a sipp desk phone ends the recording', async (t) => {
  const tp = await platform();
  const nextCall = tp.nextCall();
  const result = runSipp(t, {
    scenario: join(scenarios, 'uac-info-dtmf-await-bye.xml'),
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: '*44',
    timeoutMs: 20000,
    keys: { caller: 'abe', digit: '#' },
    extraArgs: ['-au', 'abe', '-ap', tp.password('abe'), '-mp', String(await freeMediaPort()), '-mi', '127.0.0.1'],
  });
  const call = await nextCall;
  const digits: string[] = [];
  call.once('leg-added', (leg) => leg.on('dtmf', (e: DtmfEvent) => digits.push(e.digit)));
  const r = await result;
  t.equal(r.code, 0, `sipp: answered, INFO accepted, BYE from the platform ${r.code ? r.errors.slice(0, 400) : ''}`);
  if (!call.isEnded()) await once(call, 'ended');
  t.same(digits, ['#'], 'the INFO digit reached the leg as a dtmf event');
  t.same(await leftoverTestRecordings(tp.dataDir), [], 'no echo-test-*.wav is left once the call has ended');
});
