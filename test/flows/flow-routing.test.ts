/**
 * An application DID runs its call flow, end to end: the application is created through the REST
 * API pointing at a static JSON script (the seed's hello-world: SAY then HANGUP) on a loopback
 * server, a DID on the carrier trunk points at it, and a carrier's caller (sipp, with an RTP peer)
 * dials the DID. The caller is answered, hears speech, gets our BYE; the callback server sees
 * init_call with the seed's fields and the final callback.
 */
import t from 'tap';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecSpec } from '../../media/types.js';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { RtpPeer } from '../helpers/rtp-peer.js';
import { levelTrack, settled } from '../calls/phones.js';
import { CallbackServer } from './flow-fakes.js';

t.setTimeout(120000);

const CARRIER = '127.0.0.2';
const DID = '+15550100';
const CALLER = '+33783484044';
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const source = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows');

function mediaAddress(sdp: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp);
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!c || !m) throw new Error(`no audio address in ${sdp}`);
  return { address: c[1]!, port: Number(m[1]) };
}

t.test(
  'a carrier calls a DID pointed at an application: answered, the flow speaks, callbacks init_call and call_ended',
  async (t) => {
    const server = new CallbackServer();
    await server.start();
    t.teardown(() => server.close());
    server.json('/hello.json', JSON.parse(readFileSync(join(source, 'fixtures/hello-world.json'), 'utf8')));

    const tp = await startTestPlatform(t, {
      config: {
        trunks: [{ name: 'carrier', host: CARRIER, port: await freePort(CARRIER), transport: 'udp', numbers: [{ number: DID }] }],
        webhooks: { allowPrivateTargets: true },
      },
    });
    const store = tp.platform.store;
    const project = (await store.projects.first())!;
    const { token } = await store.apiTokens.create(project.id);
    const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;
    const res = await fetch(`${base}/v1/applications`, {
      method: 'POST',
      headers: { 'x-api-key': token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'hello', callback_url: server.url('/hello.json'), callback_method: 'GET' }),
    });
    t.equal(res.status, 201, 'application created through the API');
    const app = (await res.json()) as { id: number };
    await store.numbers.assign(project.id, DID, { kind: 'application', applicationId: app.id });

    const media = await RtpPeer.start(CARRIER);
    t.teardown(() => media.close());
    const nextCall = tp.nextCall();
    const carrier = await startSipp(t, {
      scenario: join(source, 'scenarios/uac-await-bye.xml'),
      localHost: CARRIER,
      remote: `${tp.sip.host}:${tp.sip.port}`,
      service: DID.slice(1),
      timeoutMs: 60000,
      keys: { caller: CALLER, rtp_port: String(media.port) },
    });
    const call = await nextCall;
    t.equal(call.route, 'application', 'routed by the DID to its application');
    await settled(() => call.legs.some((l) => l.role === 'caller') || call.isEnded(), 20000);
    const leg = call.legs.find((l) => l.role === 'caller');
    // Our side of the RTP from the caller's address (quiet: the media path latches on it).
    const sending =
      leg && media.send({ remote: mediaAddress(leg.dialog.localSdp), codec: PCMU, toneHz: 440, amplitude: 50, durationMs: 3000 });

    const run = await carrier.wait();
    t.equal(
      run.code,
      0,
      `the caller was answered and got our BYE when the flow hung up ${run.code ? run.errors.slice(0, 400) : ''}`,
    );
    if (!call.isEnded()) await once(call, 'ended');
    t.equal(call.status, 'completed');

    await sending;
    const heard = await media.report(PCMU);
    const loud = levelTrack({ samples: Int16Array.from(heard.pcm), rate: 8000 }, 100).filter((l) => l > 500).length;
    t.ok(loud >= 5, `the caller heard speech for about ${loud / 10} s`);

    const init = await server.waitFor('init_call', 5000);
    t.equal(init.method, 'GET', 'GET: the fields in the query string of the static JSON URL');
    const record = (await store.calls.list(project.id, {})).calls[0];
    t.match(init.fields, {
      type: 'init_call',
      app_id: String(app.id),
      call_id: String(record?.id),
      direction: 'inbound',
      caller_no: CALLER,
      api_no: DID,
      status: 'live-in-progress',
    });
    const ended = await server.waitFor('call_ended', 15000);
    t.match(ended.fields, { type: 'call_ended', app_id: String(app.id), call_id: String(record?.id), status: 'completed' });
    t.ok(ended.at >= init.at, 'the final callback came last');
  },
);
