/**
 * Calls the platform refuses, seen on the wire by sipp (an authenticated phone): a number nobody
 * owns gets 404, a user who is not registered 480, a callee that never answers 480 No Answer after
 * the ring timeout, an offer without a common codec 488; when the media server has no room left (`media.maxCallsPerWorker`) a new call
 * gets 503 with Retry-After while the call already running keeps its audio, and once that call
 * ends a new one is admitted again.
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPlatform, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { runSipp, type SippResult } from '../helpers/sipp.js';
import {
  answeredState,
  dialAndWait,
  heard,
  peakHz,
  registeredPhone,
  settled,
  tempDir,
  toneSeconds,
  toneWav,
  heardSeconds,
  sentSeconds,
  untilHeard,
} from './phones.js';

t.setTimeout(240000); // generous for a loaded machine; each wait inside has its own deadline

// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

// The refusals share one platform (bob registers only in the last of them); the saturated one has its own.
const platform = sharedPlatform(t, { users: ['alice', 'bob'], config: { calls: { ringTimeoutSeconds: 2 } } });

const PCMU_OFFER = 'm=audio [media_port] RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000';

/** One INVITE from sipp as `user`, expected to be refused with `status` (and pass `check`). */
async function refusedCall(
  t: Test,
  tp: TestPlatform,
  user: string,
  dialed: string,
  status: number,
  check = '',
  media = PCMU_OFFER,
): Promise<SippResult> {
  const dir = tempDir(t, 'calls-sipp-');
  const scenario = join(dir, `refused-${status}.xml`);
  writeFileSync(
    scenario,
    readFileSync(join(scenarios, 'uac-refused.xml'), 'utf8')
      .replaceAll('__STATUS__', String(status))
      .replaceAll('__CHECK__', check)
      .replaceAll(PCMU_OFFER, media)
      // sipp refuses a variable that is assigned but never read; the check reads it.
      .replace('</scenario>', check.includes('assign_to="ra"') ? '<Reference variables="ra"/></scenario>' : '</scenario>'),
  );
  return runSipp(t, {
    scenario,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: dialed,
    timeoutMs: 10000,
    keys: { caller: user },
    extraArgs: ['-au', user, '-ap', tp.password(user)],
  });
}

t.test('a number nobody owns gets 404', async (t) => {
  const tp = await platform();
  const r = await refusedCall(t, tp, 'alice', 'nobody', 404);
  t.equal(r.code, 0, `sipp saw 404 Not Found ${r.errors.slice(0, 300)}`);
  t.equal(tp.platform.calls.size, 0, 'no call was created');
  t.equal(tp.platform.media.stats().portsInUse, 0, 'no RTP port was taken');
});

t.test('an offer with no codec in common gets 488 and leaves nothing behind', async (t) => {
  const tp = await platform();
  const r = await refusedCall(
    t,
    tp,
    'alice',
    '*43',
    488,
    '',
    'm=audio [media_port] RTP/AVP 18 97\na=rtpmap:18 G729/8000\na=rtpmap:97 iLBC/8000',
  );
  t.equal(r.code, 0, `sipp saw 488 Not Acceptable Here ${r.errors.slice(0, 300)}`);
  await settled(() => tp.platform.calls.size === 0 && tp.platform.media.stats().portsInUse === 0);
  t.equal(tp.platform.calls.size, 0, 'the call was ended');
  t.equal(tp.platform.media.stats().portsInUse, 0, 'its RTP port was released');
});

t.test('a user who is not registered gets 480, and the media is released', async (t) => {
  const tp = await platform();
  const r = await refusedCall(t, tp, 'alice', 'bob', 480);
  t.equal(r.code, 0, `sipp saw 480 Temporarily Unavailable ${r.errors.slice(0, 300)}`);
  await settled(() => tp.platform.calls.size === 0 && tp.platform.media.stats().portsInUse === 0);
  t.equal(tp.platform.calls.size, 0, 'the call was ended');
  t.equal(tp.platform.media.stats().portsInUse, 0, 'its RTP port was released');
});

t.test(
  'a callee that rings and never answers is cancelled after calls.ringTimeoutSeconds; the caller gets 480 No Answer',
  async (t) => {
    const dir = tempDir(t, 'calls-noanswer-');
    const tp = await platform();
    const bob = await registeredPhone(t, tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: false });
    const ringing = bob.waitFor('CALL_INCOMING', 10000);
    const closed = bob.waitFor('CALL_CLOSED', 15000);
    const noAnswer = '<action><ereg regexp="^SIP/2.0 480 No Answer" search_in="msg" check_it="true" assign_to="ra"/></action>';
    const next = tp.nextCall();
    const result = refusedCall(t, tp, 'alice', 'bob', 480, noAnswer);
    const call = await next;
    const started = Date.now();
    const ended = once(call, 'ended');
    const r = await result;
    t.equal(r.code, 0, `sipp saw 480 No Answer ${r.errors.slice(0, 300)}`);
    const [{ reason }] = await ended;
    const waited = (Date.now() - started) / 1000;
    t.equal(reason, 'no answer', 'the call ended for want of an answer');
    t.ok(waited >= 1.9 && waited < 5, `after the 2 s ring timeout (${waited.toFixed(1)} s)`);
    await ringing;
    t.ok(await closed, "bob's phone stopped ringing (CANCEL)");
    await settled(() => tp.platform.calls.size === 0 && tp.platform.media.stats().portsInUse === 0);
    t.equal(tp.platform.calls.size, 0, 'the call was ended');
    t.equal(tp.platform.media.stats().portsInUse, 0, 'both endpoints released their ports');
  },
);

t.test('a saturated media server answers 503 with Retry-After; the running call keeps its audio', async (t) => {
  const dir = tempDir(t, 'calls-503-');
  const tp = await startTestPlatform(t, { users: ['alice', 'bob'], config: { media: { workers: 1, maxCallsPerWorker: 1 } } });
  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880) });

  const first = tp.nextCall();
  await dialAndWait(alice, tp, '*43');
  const call = await first;
  await untilHeard(alice, 1);
  const retryAfter =
    '<action><ereg regexp="^ *[0-9]+$" search_in="hdr" header="Retry-After:" check_it="true" assign_to="ra"/></action>';
  const r = await refusedCall(t, tp, 'bob', '*43', 503, retryAfter);
  t.equal(r.code, 0, `sipp saw 503 with a Retry-After header ${r.errors.slice(0, 300)}`);
  t.equal(tp.platform.calls.size, 1, 'only the first call exists');
  await untilHeard(alice, heardSeconds(alice) + 1.5);
  const ended = once(call, 'ended');
  await alice.hangup();
  await ended;
  const h = heard(alice);
  t.ok(Math.abs(peakHz(h, 0.5, 3) - 880) <= 20, 'the admitted call kept echoing');
  // Against what alice sent, not wall-clock time: a phone starved of CPU sends less than the
  // call lasted, and that is not the platform's gap. What the echo lost would be missing here.
  const sent = sentSeconds(alice);
  t.ok(
    toneSeconds(h, 880) >= sent - 0.6,
    `every second alice sent came back while the other call was refused (${toneSeconds(h, 880)} s of ${sent.toFixed(1)} s sent)`,
  );

  // The capacity is back once the first call has released its session.
  await settled(() => tp.platform.media.stats().sessions === 0);
  const again = tp.nextCall();
  await dialAndWait(alice, tp, '*43');
  t.equal(await answeredState(await again), 'active', 'a new call is admitted after the first one ended');
});
