/**
 * Calls the API places that run a flow, end to end through a sipp carrier (127.0.0.2) whose callee
 * answers with an RTP peer recording what it hears:
 * - the seed's Dials/Connect curl body: the callee is called from the project's number and hears
 *   "Hello, Bob..." built from session_data;
 * - a live call's flow given session data, redirected to inline actions, then to a new URL by REST;
 *   then 409 on the ended call;
 * - max_call_time ends a call; Phonevoice's agent_id runs an application's flow, hung up by REST.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Call } from '../../src/calls/call.js';
import type { CodecSpec } from '../../media/types.js';
import { FliteProvider } from '../../src/speech/flite-provider.js';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { RtpPeer } from '../helpers/rtp-peer.js';
import { settled, tempDir } from '../calls/phones.js';
import { CallbackServer, silentLogger } from './flow-fakes.js';
import { matches, speechSeconds } from './heard-speech.js';

t.setTimeout(240000);

const run = promisify(execFile);
const CARRIER = '127.0.0.2';
const OUR_NUMBER = '+19495551212';
const CALLEE = '+17145551212';
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const source = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows');
const HELLO_BOB = 'Hello, Bob. You are 34 years old.';

function mediaAddress(sdp: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp);
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!c || !m) throw new Error(`no audio address in ${sdp}`);
  return { address: c[1]!, port: Number(m[1]) };
}

t.test('Dials/Connect, live-call modification, max_call_time and agent_id through a carrier', async (t) => {
  const dir = tempDir(t, 'dials-');
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.json('/connect', {
    actions: [
      {
        type: 'IF',
        condition: "$sessionData.name == 'Bob' && $sessionData.age == 34",
        then: [{ type: 'SAY', params: { text: 'Hello, ${sessionData.name}. You are ${sessionData.age} years old.' } }],
        orElse: [{ type: 'PAUSE', params: { length: 3000 } }],
      },
      { type: 'HANGUP' },
    ],
  });
  server.json('/hold', { actions: [{ type: 'PAUSE', params: { length: 30000 } }] });
  server.json('/after', {
    actions: [{ type: 'SAY', params: { text: 'Goodbye, ${sessionData.name}.' } }, { type: 'HANGUP' }],
  });

  const media = await RtpPeer.start(CARRIER);
  t.teardown(() => media.close());
  const carrierPort = await freePort(CARRIER);
  const scenario = join(dir, 'uas.xml');
  writeFileSync(
    scenario,
    readFileSync(join(source, 'scenarios/uas-answer-await-bye.xml'), 'utf8').replaceAll('__CALLER_ID__', '\\+19495551212'),
  );
  const carrier = await startSipp(t, {
    scenario,
    localHost: CARRIER,
    localPort: carrierPort,
    calls: 4,
    timeoutMs: 200000,
    keys: { rtp_port: String(media.port) },
  });
  const tp = await startTestPlatform(t, {
    config: {
      trunks: [{ name: 'carrier', host: CARRIER, port: carrierPort, transport: 'udp', numbers: [{ number: OUR_NUMBER }] }],
      webhooks: { allowPrivateTargets: true },
    },
  });
  const store = tp.platform.store;
  const project = (await store.projects.first())!;
  const { token } = await store.apiTokens.create(project.id);
  const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;
  const connectApp = await store.applications.create({
    projectId: project.id,
    name: 'connect',
    callbackUrl: server.url('/connect'),
    callbackMethod: 'GET',
  });
  const holdApp = await store.applications.create({ projectId: project.id, name: 'hold', callbackUrl: server.url('/hold') });
  await store.numbers.assign(project.id, OUR_NUMBER, { kind: 'application', applicationId: connectApp.id });
  const api = async (path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'x-api-key': token, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const tts = new FliteProvider({ workers: 1, logger: silentLogger });
  t.teardown(() => tts.close());

  /** The callee's leg once answered; quiet audio goes to our side so the media path latches on the callee. */
  const answered = async (call: Call): Promise<void> => {
    await settled(() => call.legs.some((l) => l.role === 'caller') || call.isEnded(), 30000);
    const leg = call.legs.find((l) => l.role === 'caller');
    if (leg)
      void media.send({ remote: mediaAddress(leg.dialog.localSdp), codec: PCMU, toneHz: 440, amplitude: 30, durationMs: 2000 });
  };
  const ended = async (call: Call): Promise<void> => settled(() => call.isEnded(), 60000);

  await t.test("the seed's curl body: the callee hears speech built from session_data", async (t) => {
    const next = tp.nextCall();
    // The seed's curl, unchanged but for the host.
    const { stdout } = await run('curl', [
      '-s',
      '-X',
      'POST',
      `${base}/v1/Dials/Connect`,
      '-H',
      'cache-control: no-cache',
      '-H',
      'content-type: application/json',
      '-H',
      `x-api-key: ${token}`,
      '-d',
      `{
"call":{
"no":"+17145551212",
"caller_id_no":"+19495551212"
},
"session_data":{
"name":"Bob",
"age":34
},
"timeout":60,
"max_call_time":60000
}`,
    ]);
    const answer = JSON.parse(stdout) as { status: string; call_id: string; phone_call_id: number };
    t.match(answer, { status: 'success', call_id: String(answer.phone_call_id) }, `answered with the call id: ${stdout}`);
    const call = await next;
    await answered(call);
    await ended(call);
    t.equal(call.status, 'completed', 'answered, and hung up by the flow');
    const init = await server.waitFor('init_call', 10000);
    t.match(init.fields, {
      type: 'init_call',
      call_id: answer.call_id,
      app_id: String(connectApp.id),
      direction: 'outbound',
      caller_no: CALLEE,
      api_no: OUR_NUMBER,
    });
    t.equal(init.query.get('session_data[name]'), 'Bob', 'session_data in the query string');
    t.equal(init.query.get('session_data[age]'), '34');
    const heard = await media.report(PCMU);
    const pcm = { samples: Int16Array.from(heard.pcm), rate: 8000 };
    t.ok(speechSeconds(pcm) >= 1, `the callee heard speech (${speechSeconds(pcm)} s)`);
    const [hello] = await matches(tts, pcm, [HELLO_BOB]);
    t.ok(hello! > 0.7, `what it heard is "${HELLO_BOB}" (envelope match ${hello?.toFixed(2)})`);
    const record = await store.calls.get(answer.phone_call_id);
    t.match(record, { status: 'completed', from: OUR_NUMBER, to: CALLEE, direction: 'outbound' });
    await server.waitFor('call_ended', 15000);
    media.reset();
  });

  await t.test('a live flow takes session data, inline actions and a new URL from REST', async (t) => {
    server.received.length = 0;
    const next = tp.nextCall();
    const made = await api('/v1/Dials/Connect', {
      call: { no: CALLEE, caller_id_no: OUR_NUMBER },
      session_data: { name: 'Bob' },
      app_id: holdApp.id,
    });
    t.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.phone_call_id as number;
    const call = await next;
    await answered(call);
    await server.waitFor('init_call', 15000);
    t.match(await api(`/v1/calls/${id}/session_data`, { session_data: { name: 'Carol', vip: true } }), { status: 200 });
    // A key that names a prototype is dropped, as SESSIONDATA drops it; the rest is merged.
    const hostile = JSON.parse('{"__proto__": {"name": "Mallory"}, "constructor": "x", "big": ""}') as Record<string, unknown>;
    hostile.big = 'x'.repeat(40000);
    t.match(await api(`/v1/calls/${id}/session_data`, { session_data: hostile }), { status: 200 });
    // Each request is under 64 KB, but the call's session data as a whole stays under it too.
    t.match(await api(`/v1/calls/${id}/session_data`, { session_data: { more: 'y'.repeat(40000) } }), {
      status: 422,
      body: { error: /session_data: .*exceed 64 KB/ },
    });
    t.match(await api(`/v1/calls/${id}/redirect`, { actions: [{ type: 'NOPE' }] }), { status: 422 });
    t.match(await api(`/v1/calls/${id}/redirect`, {}), { status: 422, body: { error: /url or actions/ } });
    const redirected = await api(`/v1/calls/${id}/redirect`, {
      actions: [
        { type: 'SESSIONDATA', session_data: { step: 'inline' } },
        { type: 'PAUSE', params: { length: 30000 } },
      ],
    });
    t.match(redirected, { status: 200, body: { status: 'success', call_id: String(id) } });
    t.match(await api(`/v1/calls/${id}/redirect`, { url: server.url('/after'), method: 'POST' }), { status: 200 });
    const asked = await server.waitFor('redirect', 15000);
    t.equal(asked.path, '/after', 'the new URL is asked');
    t.match(asked.fields.session_data, { name: 'Carol', vip: true, step: 'inline' }, 'with the injected session data');
    const sent = asked.fields.session_data as Record<string, unknown>;
    t.same(
      Object.keys(sent).sort(),
      ['big', 'name', 'step', 'vip'],
      'no __proto__ or constructor key, and nothing of the refused injection',
    );
    await ended(call);
    const final = await server.waitFor('call_ended', 15000);
    t.match(final.fields.session_data, { name: 'Carol' });
    const heard = await media.report(PCMU);
    const pcm = { samples: Int16Array.from(heard.pcm), rate: 8000 };
    const [bye] = await matches(tts, pcm, ['Goodbye, Carol.']);
    t.ok(bye! > 0.7, `the callee heard "Goodbye, Carol." (envelope match ${bye?.toFixed(2)})`);
    t.match(await api(`/v1/calls/${id}/redirect`, { url: server.url('/after') }), { status: 409 });
    t.match(await api(`/v1/calls/${id}/session_data`, { session_data: { a: 1 } }), { status: 409 });
    t.match(await api(`/v1/calls/${id}/hangup`), { status: 409 });
    media.reset();
  });

  await t.test('max_call_time ends the call; agent_id runs an application, hung up by REST', async (t) => {
    const next = tp.nextCall();
    const started = Date.now();
    const made = await api('/v1/Dials/Connect', { call: { no: CALLEE }, app_id: holdApp.id, max_call_time: 3000 });
    t.equal(made.status, 201);
    const call = await next;
    await answered(call);
    await ended(call);
    t.ok(Date.now() - started < 25000, `ended by max_call_time after ${Date.now() - started} ms (the flow holds 30 s)`);
    t.equal(call.status, 'completed');

    server.received.length = 0;
    const res = await fetch(`${base}/api/v1/calls/initiate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent_id: holdApp.id, recipient_phone_number: CALLEE, inbound_phone_number: OUR_NUMBER }),
    });
    const body = (await res.json()) as { phone_call_id: number };
    t.equal(res.status, 201, JSON.stringify(body));
    const init = await server.waitFor('init_call', 30000);
    t.match(init.fields, { app_id: String(holdApp.id), call_id: String(body.phone_call_id), caller_no: CALLEE });
    const hung = await api(`/v1/calls/${body.phone_call_id}/hangup`);
    t.match(hung, { status: 200, body: { call_status: 'completed' } });
    await server.waitFor('call_ended', 15000);
  });

  const sipp = await carrier.wait();
  t.equal(sipp.code, 0, `the carrier's callee saw our number as caller ID and every BYE ${sipp.errors.slice(0, 400)}`);
});
