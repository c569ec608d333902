/**
 * A registered phone dials a PSTN number: the platform routes it to the configured trunk, where a
 * sipp carrier answers and echoes the audio (-rtp_echo). The phone hears its own tone back through
 * the anchored media, and its hang-up reaches the carrier as BYE. A carrier's call to a number
 * nobody here owns is refused rather than sent back out through the trunk; its call to a registered
 * user rings that phone.
 */
import t from 'tap';
import { once } from 'node:events';
import { sharedPlatform, startTestPlatform } from '../helpers/platform.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeMediaPort, freePort, runSipp, startSipp } from '../helpers/sipp.js';
import { TestDnsServer } from '../helpers/dns-server.js';
import { dialAndWait, heard, peakHz, registeredPhone, tempDir, toneSeconds, toneWav, untilHeard } from './phones.js';

t.setTimeout(240000); // generous for a loaded machine; each wait inside has its own deadline

// The carrier lives on another loopback address: trunks are recognised by source address, and the
// phones on 127.0.0.1 must not pass for the carrier.
const CARRIER = '127.0.0.2';
// Scenarios stay in the source tree (dist/test/calls -> test/calls/scenarios).
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

// The first three subtests share one platform whose trunk points at `carrierPort` (only the first
// puts a carrier there); each registers its own user. The SRV one needs a platform of its own.
const carrierPort = await freePort(CARRIER);
const platform = sharedPlatform(t, {
  users: ['alice', 'amy'],
  config: { trunks: [{ name: 'carrier', host: CARRIER, port: carrierPort, transport: 'udp' }] },
});

t.test('a phone calls out through the trunk: audio both ways, BYE reaches the carrier', async (t) => {
  const dir = tempDir(t, 'calls-trunk-');
  const carrier = await startSipp(t, {
    scenario: 'uas',
    localHost: CARRIER,
    localPort: carrierPort,
    timeoutMs: 30000,
    extraArgs: ['-rtp_echo', '-mp', String(await freeMediaPort(CARRIER)), '-mi', CARRIER],
  });
  const tp = await platform();
  const alice = await registeredPhone(t, tp, 'alice', { codecs: ['opus'], wav: toneWav(dir, 880) });
  const nextCall = tp.nextCall();
  await dialAndWait(alice, tp, '15551234567');
  const call = await nextCall;
  t.equal(call.dialed, '15551234567', 'the number was dialed');
  const callee = call.legs.find((l) => l.role === 'callee');
  t.match(
    callee?.dialog.remoteSdp ?? '',
    /^m=audio \d+ RTP\/AVP 0\b/m,
    "the carrier answered PCMU (transcoded from the phone's Opus)",
  );
  await untilHeard(alice, 3);
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

t.test('a carrier call to a number nobody here owns is refused, not sent back out', async (t) => {
  const dir = tempDir(t, 'calls-trunk-');
  const scenario = join(dir, 'refused-404.xml');
  writeFileSync(
    scenario,
    readFileSync(join(scenarios, 'uac-refused.xml'), 'utf8').replaceAll('__STATUS__', '404').replaceAll('__CHECK__', ''),
  );
  const tp = await platform();
  let calls = 0;
  const counted = (): void => {
    calls++;
  };
  tp.platform.calls.on('added', counted);
  t.teardown(() => tp.platform.calls.off('added', counted));
  const r = await runSipp(t, {
    scenario,
    localHost: CARRIER,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: '15557654321',
    timeoutMs: 10000,
    keys: { caller: '15550001111' },
    extraArgs: ['-mp', String(await freeMediaPort(CARRIER)), '-mi', CARRIER],
  });
  t.equal(r.code, 0, `the carrier got 404 without a challenge ${r.code ? r.errors.slice(0, 300) : ''}`);
  t.equal(calls, 0, 'no call was set up');
});

t.test('a carrier calls a registered phone: answered, the phone hears its tone echoed by the carrier', async (t) => {
  const dir = tempDir(t, 'calls-trunk-');
  const tp = await platform();
  const amy = await registeredPhone(t, tp, 'amy', { codecs: ['opus'], wav: toneWav(dir, 880), autoAnswer: true });
  const nextCall = tp.nextCall();
  // sipp's built-in caller: INVITE, ACK, 3 s of talk (echoing what arrives), BYE.
  const r = await runSipp(t, {
    scenario: 'uac',
    localHost: CARRIER,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: 'amy',
    timeoutMs: 20000,
    extraArgs: ['-d', '3000', '-rtp_echo', '-mp', String(await freeMediaPort(CARRIER)), '-mi', CARRIER],
  });
  t.equal(r.code, 0, `the carrier's call was answered and hung up ${r.code ? r.errors.slice(0, 300) : ''}`);
  const call = await nextCall;
  if (!call.isEnded()) await once(call, 'ended');
  t.match(
    call.legs.find((l) => l.role === 'caller')?.dialog.remoteSdp ?? '',
    /^m=audio \d+ RTP\/AVP 0\b/m,
    'the carrier spoke PCMU',
  );
  t.equal(call.dialed, 'amy', 'routed to the registered user');
  await amy.waitFor('CALL_CLOSED', 5000).catch(() => undefined);
  const h = heard(amy);
  const peak = peakHz(h, 0.5, 2);
  t.ok(Math.abs(peak - 880) <= 20, `amy (Opus) heard her 880 Hz back through the carrier's PCMU (${peak} Hz)`);
  t.ok(toneSeconds(h, 880) >= 1.8, `for most of the call (${toneSeconds(h, 880)} s)`);
});

t.test(
  "a trunk named by its SRV records (no port): calls go to the server they name, and its calls count as the carrier's",
  async (t) => {
    const dir = tempDir(t, 'calls-trunk-');
    const carrierPort = await freePort(CARRIER);
    // The bare name's A record is a decoy: only the SRV record leads to the carrier's sipp.
    const dns = await TestDnsServer.start({
      srv: { '_sip._udp.carrier.test': [{ priority: 10, weight: 100, port: carrierPort, target: 'edge1.carrier.test' }] },
      a: { 'edge1.carrier.test': [CARRIER], 'carrier.test': ['127.0.0.9'] },
    });
    t.teardown(() => dns.close());
    const carrier = await startSipp(t, {
      scenario: 'uas',
      localHost: CARRIER,
      localPort: carrierPort,
      timeoutMs: 30000,
      extraArgs: ['-rtp_echo', '-mp', String(await freeMediaPort(CARRIER)), '-mi', CARRIER],
    });
    const tp = await startTestPlatform(t, {
      users: ['alice'],
      config: { sip: { dnsServers: [dns.server] }, trunks: [{ name: 'carrier', host: 'carrier.test', transport: 'udp' }] },
    });
    const alice = await registeredPhone(t, tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880) });
    const nextCall = tp.nextCall();
    await dialAndWait(alice, tp, '15551234567');
    const call = await nextCall;
    await untilHeard(alice, 1.5);
    const ended = once(call, 'ended');
    await alice.hangup();
    await ended;
    t.equal(
      (await carrier.wait()).successful,
      1,
      `the INVITE reached the SRV target ${CARRIER}:${carrierPort} and the call completed`,
    );
    t.ok(
      dns.asked.some((q) => q.name === '_sip._udp.carrier.test' && q.type === 33),
      'the platform asked for the SRV record',
    );

    // From the SRV target's address, the carrier is not challenged (a phone would be): its call to a
    // number nobody owns is refused 404 rather than hairpinned back out.
    const scenario = join(dir, 'refused-404.xml');
    writeFileSync(
      scenario,
      readFileSync(join(scenarios, 'uac-refused.xml'), 'utf8').replaceAll('__STATUS__', '404').replaceAll('__CHECK__', ''),
    );
    const r = await runSipp(t, {
      scenario,
      localHost: CARRIER,
      remote: `${tp.sip.host}:${tp.sip.port}`,
      service: '15557654321',
      timeoutMs: 10000,
      keys: { caller: '15550001111' },
      extraArgs: ['-mp', String(await freeMediaPort(CARRIER)), '-mi', CARRIER],
    });
    t.equal(
      r.code,
      0,
      `the SRV target's call was taken as the carrier's (404, no challenge) ${r.code ? r.errors.slice(0, 300) : ''}`,
    );
  },
);
