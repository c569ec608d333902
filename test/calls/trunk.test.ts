/**
 * A registered phone dials a PSTN number: the platform routes it to the configured trunk, where a
 * sipp carrier answers and echoes the audio (-rtp_echo). The phone hears its own tone back through
 * the anchored media, and its hang-up reaches the carrier as BYE.
 */
import t from 'tap';
import { once } from 'node:events';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { dialAndWait, heard, peakHz, registeredPhone, sleep, tempDir, toneSeconds, toneWav } from './phones.js';

t.setTimeout(60000);

t.test('a phone calls out through the trunk: audio both ways, BYE reaches the carrier', async (t) => {
  const dir = tempDir(t, 'calls-trunk-');
  const carrierPort = await freePort();
  const carrier = await startSipp(t, {
    scenario: 'uas', localPort: carrierPort, timeoutMs: 30000,
    extraArgs: ['-rtp_echo', '-mp', String(await freePort()), '-mi', '127.0.0.1'],
  });
  const tp = await startTestPlatform(t, {
    users: ['alice'],
    config: { trunks: [{ name: 'carrier', host: '127.0.0.1', port: carrierPort, transport: 'udp' }] },
  });
  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['opus'], wav: toneWav(dir, 880) });
  const nextCall = tp.nextCall();
  await dialAndWait(alice, tp, '15551234567');
  const call = await nextCall;
  t.equal(call.dialed, '15551234567', 'the number was dialed');
  const callee = call.legs.find((l) => l.role === 'callee');
  t.match(callee?.dialog.remoteSdp ?? '', /^m=audio \d+ RTP\/AVP 0\b/m, 'the carrier answered PCMU (transcoded from the phone\'s Opus)');
  await sleep(3000);
  const ended = once(call, 'ended');
  await alice.hangup();
  await ended;
  const r = await carrier.wait();
  t.equal(r.successful, 1, 'the carrier saw the call complete with BYE');

  const h = heard(alice);
  const peak = peakHz(h, 0.5, 2.5);
  t.ok(Math.abs(peak - 880) <= 20, `alice heard her 880 Hz echoed by the carrier (peak ${peak} Hz)`);
  t.ok(toneSeconds(h, 880) >= 2, `for most of the call (${toneSeconds(h, 880)} s)`);
});
