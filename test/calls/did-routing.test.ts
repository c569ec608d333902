/**
 * Inbound calls routed by the dialed DID (issue 8), end to end: a carrier's call to a project's
 * number pointed at an agent rings the agent's phone; a DID nobody owns gets 404; a relay number
 * forwards through the trunk with the relay number as caller ID, recorded one channel per side;
 * a paused relay answers 480.
 */
import t from 'tap';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPlatform, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { freePort, runSipp } from '../helpers/sipp.js';
import { Baresip } from '../helpers/baresip.js';
import { readWav } from '../../media/wav.js';
import { peakFrequency } from '../media/unit/spectrum.js';
import { heard, peakHz, registeredPhone, settled, tempDir, toneSeconds, toneWav, untilHeard } from './phones.js';

t.setTimeout(90000);

const CARRIER = '127.0.0.2';
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/calls/scenarios');

async function projectId(tp: TestPlatform): Promise<number> {
  const p = await tp.platform.store.projects.first();
  if (!p) throw new Error('no default project');
  return p.id;
}

/** A copy of the refusal scenario expecting `status`. */
function refusedScenario(dir: string, status: number): string {
  const path = join(dir, `refused-${status}.xml`);
  writeFileSync(
    path,
    readFileSync(join(scenarios, 'uac-refused.xml'), 'utf8').replaceAll('__STATUS__', String(status)).replaceAll('__CHECK__', ''),
  );
  return path;
}

// The first two subtests share a platform (different DIDs); the relay one needs its own trunk.
const platform = sharedPlatform(t, {
  users: ['alice'],
  config: {
    trunks: [
      {
        name: 'carrier',
        host: CARRIER,
        port: await freePort(CARRIER),
        transport: 'udp',
        numbers: [{ number: '+15550199' }, { number: '+15550200' }],
      },
    ],
  },
});

t.test("a carrier calls a DID pointed at an agent: the agent's phone rings and answers, audio both ways", async (t) => {
  const dir = tempDir(t, 'calls-did-');
  const tp = await platform();
  const store = tp.platform.store;
  const alice = await store.agents.findByUsername('alice');
  await store.numbers.assign(await projectId(tp), '+15550100', { kind: 'agent', agentId: alice!.id });
  const phone = await registeredPhone(t, tp, 'alice', { codecs: ['opus'], wav: toneWav(dir, 880), autoAnswer: true });
  const nextCall = tp.nextCall();
  // The carrier sends the DID without its plus, as many do.
  const r = await runSipp(t, {
    scenario: 'uac',
    localHost: CARRIER,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: '15550100',
    timeoutMs: 20000,
    extraArgs: ['-d', '3000', '-rtp_echo', '-mp', String(await freePort(CARRIER)), '-mi', CARRIER],
  });
  t.equal(r.code, 0, `the carrier's call was answered and hung up ${r.code ? r.errors.slice(0, 300) : ''}`);
  const call = await nextCall;
  if (!call.isEnded()) await once(call, 'ended');
  t.equal(call.route, 'agent', 'routed by the DID to its agent');
  t.equal(call.status, 'completed');
  await phone.waitFor('CALL_CLOSED', 5000).catch(() => undefined);
  const h = heard(phone);
  t.ok(
    Math.abs(peakHz(h, 0.5, 2) - 880) <= 20,
    `alice heard her 880 Hz back through the carrier (${peakHz(h, 0.5, 2)} Hz): audio both ways`,
  );
  t.ok(toneSeconds(h, 880) >= 1.8, `for most of the call (${toneSeconds(h, 880)} s)`);
});

t.test('a carrier call to a DID nobody owns gets 404; a paused relay gets 480', async (t) => {
  const dir = tempDir(t, 'calls-did-');
  const tp = await platform();
  const relay = await tp.platform.store.numbers.assign(await projectId(tp), '+15550200', {
    kind: 'forward',
    forwardTo: '+15550300',
  });
  await tp.platform.store.numbers.setRelay(relay.id, { relayEnabled: false });
  let calls = 0;
  const counted = (): void => {
    calls++;
  };
  tp.platform.calls.on('added', counted);
  t.teardown(() => tp.platform.calls.off('added', counted));
  const sippArgs = async () => ['-mp', String(await freePort(CARRIER)), '-mi', CARRIER];
  const unowned = await runSipp(t, {
    scenario: refusedScenario(dir, 404),
    localHost: CARRIER,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: '+15550199',
    timeoutMs: 10000,
    keys: { caller: '15550001111' },
    extraArgs: await sippArgs(),
  });
  t.equal(unowned.code, 0, `the unowned DID got 404 ${unowned.code ? unowned.errors.slice(0, 300) : ''}`);
  const paused = await runSipp(t, {
    scenario: refusedScenario(dir, 480),
    localHost: CARRIER,
    remote: `${tp.sip.host}:${tp.sip.port}`,
    service: '+15550200',
    timeoutMs: 10000,
    keys: { caller: '15550001111' },
    extraArgs: await sippArgs(),
  });
  t.equal(paused.code, 0, `the paused relay got 480 ${paused.code ? paused.errors.slice(0, 300) : ''}`);
  t.equal(calls, 0, 'no media was set up for either');
});

t.test(
  'a relay DID: the forward target gets the INVITE through the trunk from the relay number; both tones cross; recorded per side',
  async (t) => {
    const dir = tempDir(t, 'calls-did-');
    // The forward target is the trunk's host (a phone answering for +15550300). The carrier's caller
    // comes from the same address, so it counts as the carrier.
    const target = await Baresip.start({ user: '+15550300', codecs: ['PCMU'], playWav: toneWav(dir, 1000), autoAnswer: true });
    t.teardown(() => target.stop());
    const caller = await Baresip.start({ user: 'carrier', codecs: ['PCMU'], playWav: toneWav(dir, 600) });
    t.teardown(() => caller.stop());
    const tp = await startTestPlatform(t, {
      config: {
        trunks: [
          { name: 'carrier', host: '127.0.0.1', port: target.sipPort, transport: 'udp', numbers: [{ number: '+15550200' }] },
        ],
      },
    });
    await tp.platform.store.numbers.assign(await projectId(tp), '+15550200', { kind: 'forward', forwardTo: '+1 555 0300' });
    const nextCall = tp.nextCall();
    // Auto-answering, baresip reports the call when established; its peer URI is the From it received.
    const incoming = target.waitFor('CALL_ESTABLISHED', 10000);
    const established = caller.waitFor('CALL_ESTABLISHED', 10000);
    await caller.dial(`sip:+15550200@${tp.sip.host}:${tp.sip.port}`);
    const call = await nextCall;
    const recorded = once(call, 'recording') as Promise<[{ path: string }]>;
    const inc = await incoming;
    t.match(
      String(inc.peeruri ?? ''),
      /^sip:\+15550200@/,
      `the target sees the relay number as the caller (${String(inc.peeruri)})`,
    );
    await established;
    t.equal(call.route, 'relay');
    // talk until both have heard the 2.5 s the checks below look at (audio, not wall-clock time)
    await untilHeard([caller, target], 2.6);
    const ended = once(call, 'ended');
    await caller.hangup();
    await ended;
    await target.waitFor('CALL_CLOSED', 5000).catch(() => undefined);
    t.ok(
      Math.abs(peakHz(heard(caller), 0.5, 2.5) - 1000) <= 20,
      `the caller heard the target's 1000 Hz (${peakHz(heard(caller), 0.5, 2.5)} Hz)`,
    );
    t.ok(
      Math.abs(peakHz(heard(target), 0.5, 2.5) - 600) <= 20,
      `the target heard the caller's 600 Hz (${peakHz(heard(target), 0.5, 2.5)} Hz)`,
    );

    const [{ path }] = await recorded;
    t.equal(path, join(tp.dataDir, 'recordings', `${call.id}.wav`), "`recording` names the call's WAV");
    const wav = readWav(path);
    t.equal(wav.channels, 2, 'one channel per side');
    t.ok(
      wav.samples[0]!.length / wav.sampleRate >= 2.5,
      `covers the call (${(wav.samples[0]!.length / wav.sampleRate).toFixed(1)} s)`,
    );
    const mid = (ch: number) => wav.samples[ch]!.subarray(wav.sampleRate * 0.5, wav.sampleRate * 2);
    t.equal(peakFrequency(mid(0), wav.sampleRate, 100, 3500), 600, 'left: the caller');
    t.equal(peakFrequency(mid(1), wav.sampleRate, 100, 3500), 1000, 'right: the forward target');
    await settled(() => tp.platform.calls.size === 0);
  },
);
