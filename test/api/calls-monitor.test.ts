/**
 * `add_monitor` over real SIP: a recorded bridge between a baresip agent (880 Hz) and a sipp
 * carrier answering with 600 Hz; a supervisor phone (1300 Hz) dialed in listen-only hears both
 * parties, while neither party (what the agent heard, and the call's two-channel recording)
 * contains the supervisor's tone. The parties keep hearing each other through the mixer.
 */
import t from 'tap';
import { RECIPIENT, startCallsPlatform, startCarrier, until } from './calls-rig.js';
import { heard, registeredPhone, sleep, tempDir, toneSeconds, toneWav, type Heard } from '../calls/phones.js';
import { readWav } from '../../media/wav.js';
import { toneAmplitude } from '../media/unit/spectrum.js';

t.setTimeout(90000);

const after = (h: Heard, fromS: number): Heard => ({ rate: h.rate, samples: h.samples.subarray(Math.floor(fromS * h.rate)) });

t.test('a supervisor dialed into a live bridge hears both sides; nobody hears the supervisor', async (t) => {
  const dir = tempDir(t, 'api-monitor-');
  const carrier = await startCarrier(t, dir, 600);
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port, users: ['alice', 'sup'] });
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880), autoAnswer: true });
  const sup = await registeredPhone(t, cp.tp, 'sup', { codecs: ['PCMU'], wav: toneWav(dir, 1300), autoAnswer: true });

  const created = await cp.api('/api/v1/calls/initiate', {
    body: { call_type: 'bridge', recipient_phone_number: RECIPIENT, inbound_phone_number: 'alice', enable_recording: true },
  });
  t.equal(created.status, 201);
  const id = created.body.phone_call_id as number;
  const early = await cp.api(`/api/v1/calls/${id}/add_monitor`, { body: { supervisor_phone: 'sup' } });
  t.equal(early.status, 409, `before both parties are on the line: 409 (${String(early.body.error)})`);
  t.ok(await until(async () => ((await cp.api(`/api/v1/calls/${id}`)).body.legs as unknown[]).length === 2, 15000), 'bridged');
  await sleep(1000);

  const supEstablished = sup.waitFor('CALL_ESTABLISHED', 10000);
  const mon = await cp.api(`/api/v1/calls/${id}/add_monitor`, { body: { supervisor_phone: 'sup' } });
  t.match([mon.status, mon.body], [200, { status: 'success', phone_call_id: id }]);
  await supEstablished;
  const monitoredAt = Date.now();
  const aliceStart = heard(alice).samples.length;
  await sleep(3000);
  const closed = sup.waitFor('CALL_CLOSED', 10000);
  const hangup = await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' });
  t.equal(hangup.body.call_status, 'completed');
  await closed;
  t.ok(Date.now() - monitoredAt >= 3000);

  const s = heard(sup);
  t.ok(toneSeconds(s, 880) >= 1.5, `the supervisor heard the agent (${toneSeconds(s, 880)} s of 880 Hz)`);
  t.ok(toneSeconds(s, 600) >= 1.5, `the supervisor heard the recipient (${toneSeconds(s, 600)} s of 600 Hz)`);
  const a = heard(alice);
  const whileMonitored = after(a, aliceStart / a.rate);
  t.ok(
    toneSeconds(whileMonitored, 600) >= 1.5,
    `the agent still heard the recipient through the mixer (${toneSeconds(whileMonitored, 600)} s)`,
  );
  t.equal(toneSeconds(a, 1300, 300), 0, 'the agent never heard the supervisor');

  const path = (await cp.tp.platform.store.calls.get(id))?.recordingPath;
  t.ok(path, `the record has the recording path (${path})`);
  await until(() => {
    try {
      return (readWav(path!).samples[0]?.length ?? 0) > 0;
    } catch {
      return false;
    }
  }, 5000);
  const wav = readWav(path!);
  t.equal(wav.channels, 2, 'both sides recorded');
  for (const [ch, hz, who] of [
    [0, 880, 'agent'],
    [1, 600, 'recipient'],
  ] as const) {
    const side: Heard = { rate: wav.sampleRate, samples: wav.samples[ch]! };
    t.ok(toneSeconds(side, hz, 300) >= 2, `channel ${ch} holds the ${who} (${toneSeconds(side, hz, 300)} s of ${hz} Hz)`);
    t.equal(toneSeconds(side, 1300, 300), 0, `channel ${ch} has none of the supervisor`);
    const amp = toneAmplitude(side.samples, wav.sampleRate, 1300);
    t.ok(amp < 50, `no 1300 Hz energy in channel ${ch} (${amp.toFixed(1)})`);
  }
  const legs = (await cp.api(`/api/v1/calls/${id}`)).body.legs as { role: string }[];
  t.same(legs.map((l) => l.role).sort(), ['callee', 'caller', 'monitor'], 'the monitor leg is in the record');
});
