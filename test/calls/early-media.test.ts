/**
 * A carrier that plays early media (183 Session Progress with SDP, then audio before its 200 OK),
 * as carriers do for ringback tones and "the number you dialed..." announcements. The phone that
 * called must get the 183 with SDP (not a bare 180) and hear that audio before the call is answered.
 */
import t from 'tap';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { answeredState, dialAndWait, heard, peakHz, registeredPhone, sleep, tempDir, toneSeconds, toneWav } from './phones.js';

t.setTimeout(60000);

const CARRIER = '127.0.0.2';
// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');
const EARLY_MS = 3000;

t.test("a carrier's early media reaches the caller before the answer", async (t) => {
  const dir = tempDir(t, 'calls-early-');
  // The carrier's "ringback": a 1 kHz tone, PCMU, streamed from the 183 on.
  const ringback = join(dir, 'ringback.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', ringback, 'synth', '20', 'sine', '1000', 'vol', '0.3']);
  const scenario = join(dir, 'uas-early-media.xml');
  writeFileSync(
    scenario,
    readFileSync(join(scenarios, 'uas-early-media.xml'), 'utf8')
      .replaceAll('__FILE__', ringback)
      .replaceAll('__EARLY_MS__', String(EARLY_MS)),
  );
  const carrierPort = await freePort(CARRIER);
  const rtpPort = await freePort(CARRIER);
  const carrier = await startSipp(t, {
    scenario,
    localHost: CARRIER,
    localPort: carrierPort,
    timeoutMs: 30000,
    extraArgs: ['-mi', CARRIER, '-mp', String(rtpPort)],
  });
  const tp = await startTestPlatform(t, {
    users: ['alice'],
    config: { trunks: [{ name: 'carrier', host: CARRIER, port: carrierPort, transport: 'udp' }] },
  });
  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 600) });
  const events: string[] = [];
  alice.on('event', (e) => events.push(e.type));
  const nextCall = tp.nextCall();
  const statuses: string[] = [];
  void nextCall.then((c) => c.on('status', (e) => statuses.push(e.status)));
  const dialedAt = Date.now();
  await dialAndWait(alice, tp, '15551234567', 15000);
  const ringS = (Date.now() - dialedAt) / 1000;
  const call = await nextCall;
  t.ok(ringS >= EARLY_MS / 1000 - 0.5, `the carrier answered after its early media (${ringS.toFixed(1)} s)`);
  t.ok(events.includes('CALL_PROGRESS'), `alice got 183 with SDP: early media (events ${events.join(',')})`);
  // The phone reports the call established as it sends its ACK, a moment before the platform has it.
  t.equal(await answeredState(call), 'active', 'the platform has the answer');
  t.same(statuses.slice(0, 2), ['ringing', 'in-progress'], 'the call rang, then was answered');

  const talkMs = 1500;
  await sleep(talkMs);
  const ended = once(call, 'ended');
  await alice.hangup();
  await ended;
  const r = await carrier.wait();
  t.equal(r.successful, 1, `the carrier saw the call complete with BYE ${r.errors.slice(0, 300)}`);

  const h = heard(alice);
  const peak = peakHz(h, 0.3, 1.5);
  t.ok(Math.abs(peak - 1000) <= 20, `what alice heard first was the carrier's 1 kHz ringback (peak ${peak} Hz)`);
  // After the answer there were only ~1.5 s to hear; the rest was heard while it was ringing.
  const heardS = toneSeconds(h, 1000);
  t.ok(heardS >= talkMs / 1000 + 1.5, `alice heard the tone for ${heardS} s: at least 1.5 s of it before the answer`);
});
