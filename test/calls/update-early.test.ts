/**
 * RFC 3311 UPDATE in an early dialog, seen by a sipp caller while a phone rings: an UPDATE with a new
 * offer is refused 500 with a Retry-After of 0-10 s (§5.2: the platform has not finally answered the
 * INVITE's offer), one without an offer is answered 200 with a Contact, and the call still ends
 * cleanly on CANCEL. Before, both were answered 481 (no such dialog).
 */
import t from 'tap';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform } from '../helpers/platform.js';
import { freeMediaPort, runSipp } from '../helpers/sipp.js';
import { registeredPhone, settled, tempDir, toneWav } from './phones.js';

t.setTimeout(120000);

// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

t.test('an UPDATE while the callee rings: 500 + Retry-After with an offer, 200 without', async (t) => {
  const dir = tempDir(t, 'calls-early-update-');
  const tp = await startTestPlatform(t, { users: ['ivan', 'judy'] });
  const judy = await registeredPhone(t, tp, 'judy', { codecs: ['PCMU'], wav: toneWav(dir, 600) });
  const ringing = judy.waitFor('CALL_INCOMING', 15000);
  const judyClosed = judy.waitFor('CALL_CLOSED', 20000);
  const nextCall = tp.nextCall();
  const r = await runSipp(t, {
    scenario: join(scenarios, 'uac-early-update.xml'),
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: 'judy',
    timeoutMs: 20000,
    keys: { caller: 'ivan' },
    extraArgs: ['-au', 'ivan', '-ap', tp.password('ivan'), '-mp', String(await freeMediaPort()), '-mi', '127.0.0.1'],
  });
  t.equal(
    r.code,
    0,
    `sipp: 180, UPDATE with offer 500 + Retry-After, UPDATE without 200, CANCEL ${r.code ? r.errors.slice(0, 600) : ''}`,
  );
  await ringing;
  const closed = await judyClosed;
  t.match(String(closed.param ?? ''), /Connection reset|cancel|487/i, `judy's ringing was cancelled (${closed.param})`);
  const call = await nextCall;
  if (!call.isEnded()) await once(call, 'ended');
  t.equal(call.status, 'canceled', 'the call ended as canceled, the refused UPDATE changed nothing');
  await settled(() => tp.platform.media.stats().portsInUse === 0);
  t.equal(tp.platform.media.stats().portsInUse, 0, 'every RTP port released');
});
