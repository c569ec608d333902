/**
 * Two baresip phones registered at our registrar call each other by username through the whole
 * platform (embedded SIP server, SIP app, call layer, media server). Each phone plays a tone; what
 * the other decodes must be that tone, after transcoding (Opus <-> PCMU) or pass-through (PCMU).
 * Hanging up on either side ends both legs; cancelling before the answer ends the ringing leg.
 */
import t from 'tap';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPlatform, startTestPlatform } from '../helpers/platform.js';
import { freeMediaPort, runSipp } from '../helpers/sipp.js';
import { dialAndWait, heard, peakHz, registeredPhone, settled, tempDir, toneSeconds, toneWav, untilHeard } from './phones.js';

t.setTimeout(240000); // generous for a loaded machine; each wait inside has its own deadline

// One platform for the calls below, a pair of users each (the test that stops the platform has its own).
const platform = sharedPlatform(t, {
  users: ['alice', 'bob', 'carol', 'dave', 'carol2', 'dave2', 'erin', 'frank', 'ivan', 'judy'],
});

// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

t.test('Opus phone calls PCMU phone: transcoded both ways, callee hangs up', async (t) => {
  const dir = tempDir(t, 'calls-p2p-');
  const tp = await platform();
  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['opus'], wav: toneWav(dir, 1000) });
  const bob = await registeredPhone(t, tp, 'bob', { codecs: ['PCMU'], wav: toneWav(dir, 600), autoAnswer: true });

  const nextCall = tp.nextCall();
  await dialAndWait(alice, tp, 'bob');
  const call = await nextCall;
  t.equal(call.dialed, 'bob', 'the platform routed the call to bob');
  const [callerLeg, calleeLeg] = [call.legs.find((l) => l.role === 'caller'), call.legs.find((l) => l.role === 'callee')];
  t.match(callerLeg?.dialog.remoteSdp ?? '', /a=rtpmap:\d+ opus\/48000/i, 'alice offered Opus');
  t.notMatch(callerLeg?.dialog.remoteSdp ?? '', /PCMU/, 'alice offered nothing else');
  t.match(calleeLeg?.dialog.remoteSdp ?? '', /^m=audio \d+ RTP\/AVP 0\b/m, 'bob answered PCMU');

  await untilHeard([alice, bob], 3);
  const ended = once(call, 'ended');
  const aliceClosed = alice.waitFor('CALL_CLOSED', 5000);
  await bob.hangup();
  await aliceClosed;
  const [info] = await ended;
  t.match(info.reason, /callee hung up/, 'the call ended because bob hung up');
  t.ok(
    call.legs.every((l) => l.ended),
    'both legs ended',
  );
  t.equal(tp.platform.calls.size, 0, 'no call left in the registry');
  await settled(() => tp.platform.media.stats().portsInUse === 0);
  t.equal(tp.platform.media.stats().portsInUse, 0, 'every RTP port released');

  const atBob = heard(bob);
  const atAlice = heard(alice);
  const bobPeak = peakHz(atBob, 1, 3);
  const alicePeak = peakHz(atAlice, 1, 3);
  t.ok(Math.abs(bobPeak - 1000) <= 20, `bob (PCMU) heard alice's 1 kHz (peak ${bobPeak} Hz)`);
  t.ok(Math.abs(alicePeak - 600) <= 20, `alice (Opus) heard bob's 600 Hz (peak ${alicePeak} Hz)`);
  t.ok(toneSeconds(atBob, 1000) >= 2, `bob heard the tone for most of the call (${toneSeconds(atBob, 1000)} s)`);
  t.ok(toneSeconds(atAlice, 600) >= 2, `alice heard the tone for most of the call (${toneSeconds(atAlice, 600)} s)`);
});

const SAME_CODEC = [
  { codec: 'PCMU', sdp: /^m=audio \d+ RTP\/AVP 0\b/m },
  { codec: 'opus', sdp: /^a=rtpmap:(\d+) opus\/48000/m },
] as const;

for (const { codec, sdp } of SAME_CODEC)
  t.test(`${codec} phones are passed through, caller hangs up`, async (t) => {
    const dir = tempDir(t, 'calls-p2p-');
    const tp = await platform();
    const [caller, callee] = codec === 'PCMU' ? ['carol', 'dave'] : ['carol2', 'dave2'];
    const carol = await registeredPhone(t, tp, caller, { codecs: [codec], wav: toneWav(dir, 1000) });
    const dave = await registeredPhone(t, tp, callee, { codecs: [codec], wav: toneWav(dir, 600), autoAnswer: true });

    const nextCall = tp.nextCall();
    await dialAndWait(carol, tp, callee);
    const call = await nextCall;
    for (const leg of call.legs) t.match(leg.dialog.remoteSdp, sdp, `${leg.role} speaks ${codec}: no transcoding needed`);
    await untilHeard([carol, dave], 3);
    const ended = once(call, 'ended');
    const daveClosed = dave.waitFor('CALL_CLOSED', 5000);
    await carol.hangup();
    await daveClosed;
    const [info] = await ended;
    t.match(info.reason, /caller hung up/, 'the call ended because carol hung up');
    t.ok(
      call.legs.every((l) => l.ended),
      'both legs ended',
    );

    const atDave = heard(dave);
    const atCarol = heard(carol);
    t.ok(Math.abs(peakHz(atDave, 1, 3) - 1000) <= 20, `dave heard carol's 1 kHz (${peakHz(atDave, 1, 3)} Hz)`);
    t.ok(Math.abs(peakHz(atCarol, 1, 3) - 600) <= 20, `carol heard dave's 600 Hz (${peakHz(atCarol, 1, 3)} Hz)`);
    t.ok(toneSeconds(atDave, 1000) >= 2, `dave heard the tone for most of the call (${toneSeconds(atDave, 1000)} s)`);
    t.ok(toneSeconds(atCarol, 600) >= 2, `carol heard the tone for most of the call (${toneSeconds(atCarol, 600)} s)`);
  });

t.test('CANCEL before the answer ends the ringing leg', async (t) => {
  const dir = tempDir(t, 'calls-p2p-');
  const tp = await platform();
  const erin = await registeredPhone(t, tp, 'erin', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  const frank = await registeredPhone(t, tp, 'frank', { codecs: ['PCMU'], wav: toneWav(dir, 600) });

  const nextCall = tp.nextCall();
  const ringing = frank.waitFor('CALL_INCOMING', 10000);
  let frankEstablished = false;
  frank.on('event', (e) => {
    if (e.type === 'CALL_ESTABLISHED') frankEstablished = true;
  });
  await erin.dial(`sip:frank@${tp.sip.host}:${tp.sip.port}`);
  await ringing;
  const call = await nextCall;
  t.equal(call.state, 'setup', 'the call is not answered yet');

  const ended = once(call, 'ended');
  const frankClosed = frank.waitFor('CALL_CLOSED', 5000);
  const erinClosed = erin.waitFor('CALL_CLOSED', 5000);
  await erin.hangup();
  const [closedAtFrank, closedAtErin] = await Promise.all([frankClosed, erinClosed]);
  const [info] = await ended;
  t.match(info.reason, /cancel/i, 'the call ended as cancelled');
  t.equal(call.answeredAt, undefined, 'never answered');
  // baresip reports an incoming call ended by CANCEL as ECONNRESET ("Connection reset by peer").
  t.match(
    String(closedAtFrank.param ?? ''),
    /Connection reset|cancel|487/i,
    `frank's ringing call was cancelled (${closedAtFrank.param})`,
  );
  t.comment(`erin: ${closedAtErin.param}`);
  t.notOk(frankEstablished, 'frank never got an established call');
  await settled(() => tp.platform.calls.size === 0 && tp.platform.media.stats().portsInUse === 0);
  t.equal(tp.platform.calls.size, 0, 'no call left in the registry');
  t.equal(tp.platform.media.stats().portsInUse, 0, 'every RTP port released');
});

t.test('stopping the platform while a phone rings ends both sides', async (t) => {
  const dir = tempDir(t, 'calls-p2p-');
  const tp = await startTestPlatform(t, { users: ['gina', 'hank'] });
  const gina = await registeredPhone(t, tp, 'gina', { codecs: ['PCMU'], wav: toneWav(dir, 1000) });
  const hank = await registeredPhone(t, tp, 'hank', { codecs: ['PCMU'], wav: toneWav(dir, 600) });
  const ringing = hank.waitFor('CALL_INCOMING', 10000);
  await gina.dial(`sip:hank@${tp.sip.host}:${tp.sip.port}`);
  await ringing;
  const ginaClosed = gina.waitFor('CALL_CLOSED', 5000);
  const hankClosed = hank.waitFor('CALL_CLOSED', 5000);
  await tp.platform.stop();
  const [atGina, atHank] = await Promise.all([ginaClosed, hankClosed]);
  t.match(String(atGina.param ?? ''), /503/, `the caller got a final answer (${atGina.param})`);
  t.match(String(atHank.param ?? ''), /Connection reset|cancel|487/i, `the ringing phone was cancelled (${atHank.param})`);
});

t.test('a sipp caller CANCELs while a phone rings: 487 on the wire, the phone stops ringing', async (t) => {
  const dir = tempDir(t, 'calls-p2p-');
  const tp = await platform();
  const judy = await registeredPhone(t, tp, 'judy', { codecs: ['PCMU'], wav: toneWav(dir, 600) });
  const ringing = judy.waitFor('CALL_INCOMING', 10000);
  const judyClosed = judy.waitFor('CALL_CLOSED', 15000);
  const nextCall = tp.nextCall();
  const r = await runSipp(t, {
    scenario: join(scenarios, 'uac-cancel-on-ringing.xml'),
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: 'judy',
    timeoutMs: 15000,
    keys: { caller: 'ivan' },
    extraArgs: ['-au', 'ivan', '-ap', tp.password('ivan'), '-mp', String(await freeMediaPort()), '-mi', '127.0.0.1'],
  });
  t.equal(r.code, 0, `sipp: 180, CANCEL answered 200, INVITE ended 487 ${r.code ? r.errors.slice(0, 400) : ''}`);
  await ringing;
  const closed = await judyClosed;
  t.match(String(closed.param ?? ''), /Connection reset|cancel|487/i, `judy's ringing was cancelled (${closed.param})`);
  const call = await nextCall;
  if (!call.isEnded()) await once(call, 'ended');
  await settled(() => tp.platform.media.stats().portsInUse === 0);
  t.equal(tp.platform.media.stats().portsInUse, 0, 'every RTP port released');
});
