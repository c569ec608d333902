/**
 * Issue 9, the relay end to end: the project buys a relay number and registers a webhook through
 * the REST API; a sipp "carrier" on 127.0.0.2 calls the relay number; the forward goes back out
 * through the trunk to a second sipp leg (the phone it forwards to, behind the same carrier), whose
 * INVITE has the relay number as `From`; each side's tone reaches the other; the webhook gets
 * phone_call.started, phone_call.completed, then phone_call.completed again with a signed
 * `recording_url` whose WAV holds each side's tone on its own channel.
 *
 * sipp speaks SIP; each side's media is a test RTP peer at the address its SDP names (sipp cannot
 * both play a tone and hand the test what it received), so what each party heard is measured.
 */
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { RtpPeer } from '../helpers/rtp-peer.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { adminToken } from '../api/calls-rig.js';
import { seedVerify } from './seed-verify.js';
import { readWav } from '../../media/wav.js';
import { peakHz, settled, tempDir, toneSeconds, type Heard } from '../calls/phones.js';
import type { Call } from '../../src/calls/call.js';
import type { CodecSpec } from '../../media/types.js';

t.setTimeout(120000);

const CARRIER = '127.0.0.2';
const RELAY = '+14155550123';
const FORWARD_TO = '+33612345678';
const CALLER = '+33783484044';
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const CALLER_HZ = 600;
const TARGET_HZ = 1000;
const TONE_MS = 3000;
// The caller stays on the line well past the tones: on a loaded machine they may start late.
const TALK_MS = TONE_MS + 3000;
const scenarios = join(dirname(fileURLToPath(import.meta.url)), '../../../test/events/scenarios');

/** Where the platform's SDP (`localSdp` of a leg) asks for media. */
function mediaAddress(sdp: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp);
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!c || !m) throw new Error(`no audio address in ${sdp}`);
  return { address: c[1]!, port: Number(m[1]) };
}

/** Resolves once the call is answered (both legs are up), or rejects if it ended first. */
async function answered(call: Call, timeoutMs = 20000): Promise<void> {
  if (call.status === 'in-progress') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`call not answered in ${timeoutMs} ms (${call.status})`)), timeoutMs);
    call.once('answered', () => {
      clearTimeout(timer);
      resolve();
    });
    call.once('ended', (e) => {
      clearTimeout(timer);
      reject(new Error(`call ended unanswered: ${e.status} ${e.reason}`));
    });
  });
}

/** The first SIP request of `method` sipp received, from its -trace_msg log. */
function receivedRequest(sippDir: string, method: string): string {
  const log = readdirSync(sippDir).find((f) => f.endsWith('_messages.log'));
  if (!log) return '';
  const messages = readFileSync(join(sippDir, log), 'utf8').split(/-{10,} [^\n]*\n/);
  return messages.find((m) => /^UDP message received/m.test(m) && new RegExp(`^${method} sip:`, 'm').test(m)) ?? '';
}

t.test(
  'relay: carrier call to the relay number, forward through the trunk from the relay number, both tones cross, completed twice with a two-channel recording',
  async (t) => {
    const dir = tempDir(t, 'events-relay-');
    const receiver = await WebhookReceiver.start(t);
    const callerMedia = await RtpPeer.start(CARRIER);
    t.teardown(() => callerMedia.close());
    const targetMedia = await RtpPeer.start(CARRIER);
    t.teardown(() => targetMedia.close());

    // The phone the relay forwards to answers behind the carrier, on the trunk's address and port.
    const trunkPort = await freePort(CARRIER);
    const target = await startSipp(t, {
      scenario: join(scenarios, 'uas-relay-target.xml'),
      localHost: CARRIER,
      localPort: trunkPort,
      timeoutMs: 60000,
      keys: { rtp_port: String(targetMedia.port) },
      extraArgs: ['-trace_msg'],
    });
    const tp = await startTestPlatform(t, {
      config: {
        trunks: [
          {
            name: 'carrier',
            host: CARRIER,
            port: trunkPort,
            transport: 'udp',
            numbers: [{ number: RELAY, country: 'US', type: 'local', areaCode: '415' }],
          },
        ],
        webhooks: { allowPrivateTargets: true },
      },
    });
    const project = await tp.platform.store.projects.first();
    if (!project) throw new Error('no default project');
    const token = await adminToken(tp.dataDir, project.id);
    const base = `http://${tp.platform.http.host}:${tp.platform.http.port}/api/v1`;
    const api = async (path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(base + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    // The seed's recipe: search, buy with forward_to, register a webhook (every event).
    const avail = await api('/relay_numbers/available?country=US&type=local&area_code=415');
    t.same(
      avail.body.available_numbers,
      [{ phone_number: RELAY, country: 'US', type: 'local', area_code: '415' }],
      'the relay number is for sale',
    );
    const bought = await api('/relay_numbers', { phone_number: RELAY, forward_to: FORWARD_TO, country: 'US' });
    t.equal(bought.status, 201, 'bought');
    t.match(bought.body, { phone_number: RELAY, forward_to: FORWARD_TO, relay_enabled: true });
    const hook = await api('/webhooks', { url: receiver.url, name: 'CRM' });
    t.equal(hook.status, 201, 'webhook registered');
    const secret = hook.body.secret as string;
    t.match(secret, /^whsec_/);

    // The carrier's caller dials the relay number.
    const uac = join(dir, 'uac-relay-caller.xml');
    writeFileSync(uac, readFileSync(join(scenarios, 'uac-relay-caller.xml'), 'utf8').replaceAll('__TALK_MS__', String(TALK_MS)));
    const nextCall = tp.nextCall();
    const carrier = await startSipp(t, {
      scenario: uac,
      localHost: CARRIER,
      remote: `${tp.sip.host}:${tp.sip.port}`,
      service: RELAY,
      timeoutMs: 60000,
      keys: { caller: CALLER, rtp_port: String(callerMedia.port) },
    });
    const call = await nextCall;
    const recorded = new Promise<{ path: string }>((resolve) => call.once('recording', resolve));
    await answered(call);
    t.equal(call.route, 'relay', 'routed as a relay');
    const callerLeg = call.legs.find((l) => l.role === 'caller');
    const targetLeg = call.legs.find((l) => l.role === 'callee');
    if (!callerLeg || !targetLeg) throw new Error('relay call without both legs');
    // Each party talks to the address the platform gave it in SDP (the 200 OK, the forwarded INVITE).
    await Promise.all([
      callerMedia.send({ remote: mediaAddress(callerLeg.dialog.localSdp), codec: PCMU, toneHz: CALLER_HZ, durationMs: TONE_MS }),
      targetMedia.send({ remote: mediaAddress(targetLeg.dialog.localSdp), codec: PCMU, toneHz: TARGET_HZ, durationMs: TONE_MS }),
    ]);
    const carrierRun = await carrier.wait();
    t.equal(
      carrierRun.code,
      0,
      `the carrier's call was answered and hung up ${carrierRun.code ? carrierRun.errors.slice(0, 400) : ''}`,
    );
    const targetRun = await target.wait();
    t.equal(
      targetRun.code,
      0,
      `the forward target answered and got the BYE ${targetRun.code ? targetRun.errors.slice(0, 400) : ''}`,
    );

    const invite = receivedRequest(target.dir, 'INVITE');
    t.match(invite, new RegExp(`^INVITE sip:\\${FORWARD_TO}@`, 'm'), 'the forward dials forward_to through the trunk');
    t.match(invite, new RegExp(`^From:[^\\n]*<sip:\\${RELAY}@`, 'mi'), 'with the relay number as From');

    const hz = (samples: number[]): Heard => ({ samples: Int16Array.from(samples), rate: 8000 });
    const callerHeard = hz((await callerMedia.report(PCMU)).pcm);
    const targetHeard = hz((await targetMedia.report(PCMU)).pcm);
    t.ok(
      toneSeconds(callerHeard, TARGET_HZ) >= 2,
      `the caller heard the target's ${TARGET_HZ} Hz (${toneSeconds(callerHeard, TARGET_HZ)} s)`,
    );
    t.ok(
      toneSeconds(targetHeard, CALLER_HZ) >= 2,
      `the target heard the caller's ${CALLER_HZ} Hz (${toneSeconds(targetHeard, CALLER_HZ)} s)`,
    );
    t.equal(toneSeconds(callerHeard, CALLER_HZ), 0, 'the caller did not hear itself');
    t.equal(toneSeconds(targetHeard, TARGET_HZ), 0, 'nor did the target');

    // Deliveries: started, completed (ended), completed again once the recording is stored.
    await recorded;
    const got = await receiver.until((d) => d.length >= 3, 30000);
    await settled(() => tp.platform.calls.size === 0);
    // Anything delivered twice would be on its way once the outbox has nothing left to send.
    const deadline = Date.now() + 10000;
    while ((await tp.platform.store.outbox.counts()).pending > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    t.same(
      receiver.deliveries.map((d) => d.envelope.type),
      ['phone_call.started', 'phone_call.completed', 'phone_call.completed'],
      'exactly these, in order',
    );
    t.equal(new Set(got.map((d) => d.envelope.id)).size, 3, 'three distinct events');
    for (const d of got) {
      const header = d.headers['phonevoice-signature'] as string;
      t.equal(
        seedVerify('node', d.body, header, secret),
        'valid',
        `${d.envelope.type}: the seed's Node snippet accepts the signature`,
      );
    }
    const recordId = call.recordId;
    const common = { id: recordId, direction: 'inbound', from: CALLER, to: FORWARD_TO, relay_number: RELAY, cost: 0 };
    t.match(got[0]!.envelope.data, { ...common, status: 'in-progress', recording_url: null }, 'started');
    t.match(got[1]!.envelope.data, { ...common, status: 'completed', recording_url: null }, 'completed, ended');
    t.ok(
      (got[1]!.envelope.data.duration as number) >= Math.floor(TALK_MS / 1000) - 1,
      `duration ${String(got[1]!.envelope.data.duration)} s`,
    );
    t.match(got[2]!.envelope.data, { ...common, status: 'completed' }, 'completed again');
    const url = got[2]!.envelope.data.recording_url as string;
    t.match(
      url,
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+/recordings/${String(recordId)}\\.wav\\?exp=\\d+&sig=[0-9a-f]{64}$`),
      'with a signed recording_url',
    );

    const rec = await api(`/calls/${String(recordId)}`);
    t.match(
      rec.body,
      { status: 'completed', direction: 'inbound', from: CALLER, to: FORWARD_TO, recording: true, enable_recording: true },
      'the call record',
    );

    const res = await fetch(url);
    t.equal(res.status, 200, 'the link serves the recording');
    const fetched = join(dir, 'fetched.wav');
    writeFileSync(fetched, Buffer.from(await res.arrayBuffer()));
    const wav = readWav(fetched);
    t.equal(wav.channels, 2, 'one channel per side');
    const channel = (ch: number): Heard => ({ samples: wav.samples[ch]!, rate: wav.sampleRate });
    t.ok(
      toneSeconds(channel(0), CALLER_HZ) >= 2,
      `left: the caller's ${CALLER_HZ} Hz (${toneSeconds(channel(0), CALLER_HZ)} s, peak ${peakHz(channel(0), 0, wav.samples[0]!.length / wav.sampleRate)} Hz)`,
    );
    t.ok(
      toneSeconds(channel(1), TARGET_HZ) >= 2,
      `right: the target's ${TARGET_HZ} Hz (${toneSeconds(channel(1), TARGET_HZ)} s, peak ${peakHz(channel(1), 0, wav.samples[1]!.length / wav.sampleRate)} Hz)`,
    );
    t.equal(toneSeconds(channel(0), TARGET_HZ), 0, "no target audio on the caller's channel");
    t.equal(toneSeconds(channel(1), CALLER_HZ), 0, "no caller audio on the target's channel");
  },
);
