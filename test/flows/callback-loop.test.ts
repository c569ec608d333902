/**
 * The callback loop against a dynamic callback server, on sipp carrier calls to a DID:
 * - in each body format (JSON POST, form POST, query-string GET) the requests carry the seed's
 *   init_call fields; the server answers init_call with a COLLECT, the next request (actions_complete)
 *   holds the digit pressed (RFC 4733) in key_presses and gets SAY + HANGUP; the final callback
 *   (call_ended, completed, end_time set) arrives after the call ended;
 * - the callback URL down: the fallback URL serves the call;
 * - both down: the caller hears the error prompt and the call ends.
 * Each failed callback is on the call record (`GET /api/v1/calls/:id`, `callback_failures`), which
 * another project's token cannot read.
 */
import t from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import type { CodecSpec } from '../../media/types.js';
import { ERROR_PROMPT } from '../../src/flows/flow-defaults.js';
import { FliteProvider } from '../../src/speech/flite-provider.js';
import { startTestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { RtpPeer } from '../helpers/rtp-peer.js';
import { settled } from '../calls/phones.js';
import { until } from '../helpers/wait.js';
import type { Call } from '../../src/calls/call.js';
import { CallbackServer, type ReceivedRequest, silentLogger } from './flow-fakes.js';
import { matches } from './heard-speech.js';

t.setTimeout(300000);

const CARRIER = '127.0.0.2';
const CALLER = '+19495551212';
const DID = '+17145550300';
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const source = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows');

/** The seed's init_call fields that have a value on every call (the nulls are left out of form and query bodies). */
const SCALAR_FIELDS = [
  'type',
  'app_id',
  'subaccount_id',
  'call_id',
  'start_time',
  'direction',
  'duration',
  'status',
  'caller_no',
  'caller_no_city',
  'caller_no_region',
  'caller_no_country',
  'caller_no_timezone',
  'api_no',
  'api_no_city',
  'api_no_region',
  'api_no_country',
  'api_no_timezone',
];
const NULLABLE_FIELDS = ['detection', 'custom_data', 'session_data', 'end_time', 'sip_domain', 'sip_forwarded_for'];

function mediaAddress(sdp: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp);
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!c || !m) throw new Error(`no audio address in ${sdp}`);
  return { address: c[1]!, port: Number(m[1]) };
}

const reply = (res: ServerResponse, body: unknown): void => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** key_presses as the server got it, whatever the encoding. */
function keyPresses(r: ReceivedRequest): { name: string; digits: string }[] {
  if (Array.isArray(r.fields.key_presses)) return r.fields.key_presses as { name: string; digits: string }[];
  const params = r.method === 'GET' ? r.query : new URLSearchParams(r.body);
  const out: { name: string; digits: string }[] = [];
  for (let i = 0; params.has(`key_presses[${i}][name]`); i++)
    out.push({ name: params.get(`key_presses[${i}][name]`)!, digits: params.get(`key_presses[${i}][digits]`) ?? '' });
  return out;
}

t.test('the callback loop with a dynamic server, its fallback, and neither', async (t) => {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  // Answers by the request's type: a menu first, then a goodbye naming nothing but what it was sent.
  server.routes.set('/ivr', (req, res) => {
    if (req.fields.type === 'init_call')
      reply(res, {
        actions: [
          {
            name: 'menu',
            type: 'COLLECT',
            actions: [{ type: 'SAY', params: { text: 'Welcome. Please press a key on your telephone.' } }],
            params: { num_digits: 1, timeout: 8000 },
          },
        ],
      });
    else if (req.fields.type === 'actions_complete')
      reply(res, { actions: [{ type: 'SAY', params: { text: 'Thank you.' } }, { type: 'HANGUP' }] });
    else res.writeHead(204).end();
  });
  server.json('/fallback', { actions: [{ type: 'SAY', params: { text: 'Hello, world.' } }, { type: 'HANGUP' }] });
  const down = `http://127.0.0.1:${await freePort('127.0.0.1')}/nobody-listens`;

  const tp = await startTestPlatform(t, {
    config: {
      trunks: [{ name: 'carrier', host: CARRIER, port: await freePort(CARRIER), transport: 'udp', numbers: [{ number: DID }] }],
      webhooks: { allowPrivateTargets: true },
    },
  });
  const store = tp.platform.store;
  const project = (await store.projects.first())!;
  const app = await store.applications.create({ projectId: project.id, name: 'ivr', callbackUrl: server.url('/ivr') });
  await store.numbers.assign(project.id, DID, { kind: 'application', applicationId: app.id });
  const media = await RtpPeer.start(CARRIER);
  t.teardown(() => media.close());
  const tts = new FliteProvider({ workers: 1, logger: silentLogger });
  t.teardown(() => tts.close());
  const { token } = await store.apiTokens.create(project.id);
  const other = await store.projects.create('someone else');
  const { token: otherToken } = await store.apiTokens.create(other.id);
  /** The call record as the API shows it to `as`. */
  const record = async (call: Call, as = token): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://${tp.platform.http.host}:${tp.platform.http.port}/api/v1/calls/${call.recordId}`, {
      headers: { authorization: `Bearer ${as}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  type Failure = { callback_type: string; url: string; error: string; fallback_url: string | null; outcome: string };
  /** The record's callback failures once `n` are there (or what there is after 15 s). */
  const failures = async (call: Call, n: number): Promise<Failure[]> => {
    let list: Failure[] = [];
    await until(
      async () => {
        list = ((await record(call)).body.callback_failures ?? []) as Failure[];
        return list.length >= n;
      },
      { timeoutMs: 15000, intervalMs: 100 },
    );
    return list;
  };

  /** A carrier call to the DID, pressing `digit` (RFC 4733) 2.5 s after the answer; what the caller heard. */
  const dial = async (digit?: string): Promise<{ samples: Int16Array; rate: number; endedAt: number; call: Call }> => {
    media.reset();
    server.received.length = 0;
    const nextCall = tp.nextCall();
    const carrier = await startSipp(t, {
      scenario: join(source, 'scenarios/uac-te-await-bye.xml'),
      localHost: CARRIER,
      remote: `${tp.sip.host}:${tp.sip.port}`,
      service: DID.slice(1),
      timeoutMs: 90000,
      keys: { caller: CALLER, rtp_port: String(media.port) },
    });
    const call = await nextCall;
    await settled(() => call.legs.some((l) => l.role === 'caller') || call.isEnded(), 20000);
    const leg = call.legs.find((l) => l.role === 'caller');
    const sending =
      leg &&
      media.send({
        remote: mediaAddress(leg.dialog.localSdp),
        codec: PCMU,
        toneHz: 440,
        amplitude: 30,
        durationMs: 4000,
        ...(digit ? { dtmf: { digit, payloadType: 101, clockRate: 8000, atMs: 2500 } } : {}),
      });
    const run = await carrier.wait();
    t.equal(run.code, 0, `answered, and the flow hung up ${run.code ? run.errors.slice(0, 300) : ''}`);
    await sending;
    await settled(() => call.isEnded(), 10000);
    const heard = await media.report(PCMU);
    return { samples: Int16Array.from(heard.pcm), rate: 8000, endedAt: call.endedAt ?? Date.now(), call };
  };

  for (const variant of [
    { method: 'POST', format: 'json' },
    { method: 'POST', format: 'form' },
    { method: 'GET', format: 'json' },
  ] as const) {
    await t.test(`${variant.method} ${variant.method === 'GET' ? 'query string' : variant.format}`, async (t) => {
      await store.applications.update(app.id, { callbackMethod: variant.method, callbackFormat: variant.format });
      const heard = await dial('7');
      const final = await server.waitFor('call_ended', 15000);
      const [init, next] = server.received.filter((r) => r.fields.type !== 'call_ended');
      t.ok(init && next, 'init_call, then one more callback before the final one');
      if (!init || !next) return;
      t.equal(init.method, variant.method);
      if (variant.method === 'GET') t.equal(init.query.get('type'), 'init_call', 'fields in the query string');
      else
        t.match(
          init.headers['content-type'],
          variant.format === 'json' ? /^application\/json/ : /^application\/x-www-form-urlencoded/,
        );
      for (const f of SCALAR_FIELDS) t.not(init.fields[f] ?? '', '', `init_call carries ${f}`);
      if (variant.format === 'json' && variant.method === 'POST')
        for (const f of ['key_presses', 'recordings', ...NULLABLE_FIELDS]) t.ok(f in init.fields, `and ${f}`);
      t.match(init.fields, {
        type: 'init_call',
        app_id: String(app.id),
        direction: 'inbound',
        caller_no: CALLER,
        caller_no_city: 'Newport Beach',
        caller_no_timezone: 'America/Los_Angeles',
        api_no: DID,
        api_no_city: 'Anaheim',
        status: 'live-in-progress',
      });
      t.same(keyPresses(init), [], 'no key presses yet');
      t.equal(next.fields.type, 'actions_complete');
      t.same(keyPresses(next), [{ name: 'menu', digits: '7' }], 'key_presses holds the digit pressed');
      t.equal(final.fields.status, 'completed');
      t.not(final.fields.end_time ?? '', '', 'the final callback has end_time');
      t.same(keyPresses(final), [{ name: 'menu', digits: '7' }]);
      t.ok(final.at >= heard.endedAt, 'the final callback came after the call ended');
      const [thanks] = await matches(tts, heard, ['Thank you.']);
      t.ok(thanks! >= 0.9, `the caller heard the second answer's SAY (match ${thanks!.toFixed(2)})`);
    });
  }

  await t.test('callback URL down: the fallback URL serves the call', async (t) => {
    await store.applications.update(app.id, {
      callbackUrl: down,
      fallbackUrl: server.url('/fallback'),
      callbackMethod: 'POST',
      callbackFormat: 'json',
    });
    const heard = await dial();
    const init = server.received.find((r) => r.fields.type === 'init_call');
    t.equal(init?.path, '/fallback', 'init_call went to the fallback URL');
    const [hello, sorry] = await matches(tts, heard, ['Hello, world.', ERROR_PROMPT]);
    t.ok(hello! >= 0.9, `the caller heard the fallback's script (match ${hello!.toFixed(2)})`);
    t.ok(sorry! < 0.75, `and not the error prompt (match ${sorry!.toFixed(2)})`);
    const logged = await failures(heard.call, 2);
    t.match(
      logged,
      [
        {
          callback_type: 'init_call',
          url: down,
          error: /ECONNREFUSED|refused/i,
          fallback_url: server.url('/fallback'),
          fallback_error: null,
          outcome: 'fallback_answered',
        },
        { callback_type: 'call_ended', url: down, error: /ECONNREFUSED|refused/i, fallback_url: null, outcome: 'not_delivered' },
      ],
      'the call record shows the failed init_call (the fallback answered) and the undelivered final callback',
    );
    t.equal(logged.length, 2, 'and nothing else');
    const foreign = await record(heard.call, otherToken);
    t.equal(foreign.status, 403, "another project's token gets 403");
    t.notOk('callback_failures' in foreign.body, 'and none of the record');
  });

  await t.test('both down: the caller hears the error prompt, then our BYE', async (t) => {
    await store.applications.update(app.id, { callbackUrl: down, fallbackUrl: `${down}/too` });
    const heard = await dial();
    const [sorry, hello] = await matches(tts, heard, [ERROR_PROMPT, 'Hello, world.']);
    t.ok(sorry! >= 0.9, `the caller heard "${ERROR_PROMPT}" (match ${sorry!.toFixed(2)})`);
    t.ok(hello! < 0.9, `not a script (match ${hello!.toFixed(2)})`);
    const logged = await failures(heard.call, 2);
    t.match(
      logged,
      [
        {
          callback_type: 'init_call',
          url: down,
          fallback_url: `${down}/too`,
          fallback_error: /ECONNREFUSED|refused/i,
          outcome: 'error_prompt',
        },
        { callback_type: 'call_ended', url: down, outcome: 'not_delivered' },
      ],
      'the call record shows both URLs failed and the error prompt was played',
    );
    t.match((await record(heard.call)).body, { status: 'completed', direction: 'inbound' }, 'on the call as a whole');
  });
});
