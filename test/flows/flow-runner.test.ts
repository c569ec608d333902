import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { type CallbackRequest, callbackRequestSchema } from '../../src/flows/callback-request.js';
import type { CallbackConfig } from '../../src/flows/callback-client.js';
import { FlowEngine } from '../../src/flows/flow-engine.js';
import { ERROR_PROMPT, type FlowLimits } from '../../src/flows/flow-defaults.js';
import { CallbackServer, FakeCallPort, FakeTts, silentLogger } from './flow-fakes.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/fixtures');
const script = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8'));
const seedInit = callbackRequestSchema.parse(JSON.parse(readFileSync(join(fixtures, 'init-call.json'), 'utf8')));
/** The seed's init_call as a call starts: no keys, recordings or session data yet. */
const initRequest = (extra: Partial<CallbackRequest> = {}): CallbackRequest => ({
  ...seedInit,
  duration: 0,
  key_presses: [],
  recordings: [],
  session_data: null,
  end_time: null,
  ...extra,
});

interface Setup {
  server: CallbackServer;
  tts: FakeTts;
  port: FakeCallPort;
  engine: FlowEngine;
}

async function setup(t: Test, limits: Partial<FlowLimits> = {}, allowPrivateTargets = true): Promise<Setup> {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  const tts = new FakeTts();
  const port = new FakeCallPort();
  const engine = new FlowEngine({
    tts,
    dataDir: '/nonexistent',
    logger: silentLogger,
    allowPrivateTargets,
    limits: { callbackTimeoutMs: 1000, ...limits },
  });
  return { server, tts, port, engine };
}

async function runFlow(s: Setup, callback: CallbackConfig, request = initRequest()): Promise<void> {
  await s.engine.runner(s.port, callback, request).run();
}

const GET = (url: string): CallbackConfig => ({ url, method: 'GET', format: 'query' });

t.test('hello-world served as a static JSON file by GET: says it, hangs up, final callback after the hangup', async (t) => {
  const s = await setup(t);
  s.server.json('/hello-world.json', script('hello-world'));
  await runFlow(s, GET(s.server.url('/hello-world.json')));
  t.same(s.tts.spoken, ['Hello, world.']);
  t.same(s.port.events, ['play:pcm:finished', 'hangup']);
  t.same(
    s.server.received.map((r) => `${r.method} ${r.fields.type}`),
    ['GET init_call', 'GET call_ended'],
  );
  const init = s.server.received[0]!;
  t.equal(init.fields.caller_no, '+19495551212');
  t.equal(init.fields.api_no, '+17145551212');
  t.equal(init.fields.status, 'live-in-progress');
  const final = s.server.received[1]!;
  t.equal(final.fields.status, 'completed');
  t.ok(String(final.fields.end_time).endsWith('Z'), 'end_time set on the final callback');
});

t.test('multi-action processing: GOTO skips to the LABEL', async (t) => {
  const s = await setup(t);
  s.server.json('/multi.json', script('multi-action-processing'));
  await runFlow(s, GET(s.server.url('/multi.json')));
  t.same(s.tts.spoken, [
    'Hello, world. Welcome to multi action processing. You can have one or more actions in the same script.',
    'You successfully navigated to a labeled action.',
  ]);
  t.equal(s.port.events.at(-1), 'hangup');
});

t.test('conditional processing: the branch follows the key pressed', async (t) => {
  for (const [keys, expected] of [
    ['1', 'You pressed 1. Thank you for following instructions.'],
    ['2', 'You did not press 1, and did not follow instructions.'],
    ['', 'You did not press 1, and did not follow instructions.'],
  ] as const) {
    const s = await setup(t, {});
    s.server.json('/cond.json', script('conditional-processing'));
    s.port.keys = [keys];
    const started = Date.now();
    const cfg = GET(s.server.url('/cond.json'));
    await s.engine.runner(s.port, cfg, initRequest()).run();
    t.equal(s.tts.spoken.length, 2, `keys "${keys}": two prompts`);
    t.equal(s.tts.spoken[1], expected, `keys "${keys}"`);
    const final = s.server.received.at(-1)!;
    t.equal(final.fields.type, 'call_ended');
    t.equal(final.query.get('key_presses[0][name]'), 'rating');
    t.equal(final.query.get('key_presses[0][digits]'), keys, 'the final callback carries the digits');
    if (keys === '') t.ok(Date.now() - started >= 5000, 'no key: the COLLECT waited for its 5 s timeout');
    else t.equal(s.port.plays[0]!.result, 'stopped', 'the first key cut the prompt short (barge-in)');
  }
});

t.test('variable processing: SESSIONDATA feeds the condition', async (t) => {
  for (const [keys, expected] of [
    ['1#', 'You pressed 1, or you are over 21.'],
    ['2#', 'You did not press 1 and are not a male or are not over 21.'],
  ] as const) {
    const s = await setup(t);
    s.server.json('/vars.json', script('variable-processing'));
    s.port.keys = [keys];
    await runFlow(s, GET(s.server.url('/vars.json')));
    t.same(s.tts.spoken.slice(1), [expected, 'We hope you enjoyed variable processing. Good bye.'], `keys ${keys}`);
    const final = s.server.received.at(-1)!;
    t.equal(final.query.get('session_data[gender]'), 'male');
    t.equal(final.query.get('session_data[age]'), '19');
    t.equal(final.query.get('key_presses[0][digits]'), keys[0], 'the finishing key is not part of the digits');
  }
});

t.test(
  'conference greeting: templates filled, CONFERENCE skipped, static script without HANGUP ends after one repeat',
  async (t) => {
    const s = await setup(t);
    s.server.json('/conf.json', script('conference-greeting'));
    await runFlow(s, GET(s.server.url('/conf.json')), initRequest({ session_data: { firstName: 'Bob' } }));
    t.equal(s.tts.spoken[0], 'Hello, Bob. Welcome to our conference.');
    t.match(s.tts.spoken[1], /^You have left the conference\. This call lasted \d+ milliseconds\.$/);
    t.same(
      s.server.received.map((r) => r.fields.type),
      ['init_call', 'actions_complete', 'call_ended'],
      'asked again when the actions ran out; the same answer with nothing new means hang up',
    );
    t.equal(s.tts.spoken.length, 2, 'not played a second time');
    t.equal(s.port.events.at(-1), 'hangup');
  },
);

/** A dynamic server: a menu first, then an answer built from the digits it received. */
function menuServer(s: Setup): void {
  s.server.routes.set('/cb', (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.fields.type === 'init_call') {
      res.end(
        JSON.stringify({
          actions: [
            { type: 'SESSIONDATA', session_data: { tier: 'gold' } },
            {
              type: 'COLLECT',
              name: 'menu',
              params: { finish_on_key: '#', num_digits: 0, timeout: 3000 },
              actions: [{ type: 'SAY', params: { text: 'Enter your account number then press pound.' } }],
            },
          ],
        }),
      );
      return;
    }
    const digits =
      req.fields.key_presses !== undefined
        ? (req.fields.key_presses as { digits: string }[])[0]?.digits
        : (req.fields['key_presses[0][digits]'] as string | undefined);
    res.end(JSON.stringify({ actions: [{ type: 'SAY', params: { text: `You entered ${digits}.` } }, { type: 'HANGUP' }] }));
  });
}

t.test("callback bodies carry the seed's fields in JSON, form and query encodings", async (t) => {
  const seedKeys = Object.keys(seedInit).sort();
  for (const [method, format] of [
    ['POST', 'json'],
    ['POST', 'form'],
    ['GET', 'query'],
  ] as const) {
    const s = await setup(t);
    menuServer(s);
    s.port.keys = ['42#'];
    await runFlow(s, { url: s.server.url('/cb'), method, format });
    t.same(
      s.tts.spoken,
      ['Enter your account number then press pound.', 'You entered 42.'],
      `${format}: the server saw the digits`,
    );
    t.same(
      s.server.received.map((r) => `${r.method} ${r.fields.type}`),
      [`${method} init_call`, `${method} actions_complete`, `${method} call_ended`],
    );
    const second = s.server.received[1]!;
    if (format === 'json') {
      t.equal(second.headers['content-type'], 'application/json');
      t.same(Object.keys(second.fields).sort(), seedKeys, 'json: every field of the seed, no more');
      t.same(second.fields.key_presses, [{ name: 'menu', digits: '42' }]);
      t.same(second.fields.session_data, { tier: 'gold' });
      t.equal(second.fields.call_id, seedInit.call_id);
      t.type(second.fields.duration, 'number');
    } else {
      if (format === 'form') t.equal(second.headers['content-type'], 'application/x-www-form-urlencoded');
      else t.equal(second.body, '', 'query: no body');
      const names = new Set(Object.keys(second.fields).map((k) => k.replace(/\[.*$/, '')));
      // Empty arrays are left out of form and query encodings (no recordings yet); null is an empty value.
      for (const k of seedKeys) if (k !== 'recordings') t.ok(names.has(k), `${format}: ${k} sent`);
      t.equal(second.fields.end_time, '', `${format}: null sent empty`);
      t.equal(second.fields['key_presses[0][name]'], 'menu');
      t.equal(second.fields['key_presses[0][digits]'], '42');
      t.equal(second.fields['session_data[tier]'], 'gold');
      t.equal(second.fields.caller_no, '+19495551212');
    }
    t.equal(s.server.received[2]!.fields.type, 'call_ended');
    t.ok(s.port.hungUp);
  }
});

t.test('REDIRECT: the rest of the list is dropped, the new URL is asked with its method', async (t) => {
  const s = await setup(t);
  s.server.json('/first', {
    actions: [
      { type: 'REDIRECT', params: { url: s.server.url('/second'), method: 'GET' } },
      { type: 'SAY', params: { text: 'never said' } },
    ],
  });
  s.server.json('/second', { actions: [{ type: 'SAY', params: { text: 'Redirected.' } }, { type: 'HANGUP' }] });
  await runFlow(s, { url: s.server.url('/first'), method: 'POST', format: 'json' });
  t.same(s.tts.spoken, ['Redirected.']);
  t.same(
    s.server.received.map((r) => `${r.method} ${r.path} ${r.fields.type}`),
    ['POST /first init_call', 'GET /second redirect', 'POST /first call_ended'],
  );
});

t.test('callback server failing: the fallback URL is used', async (t) => {
  const s = await setup(t);
  s.server.routes.set('/down', (_req, res) => {
    res.writeHead(500).end('oops');
  });
  s.server.routes.set('/badjson', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"actions": [');
  });
  s.server.json('/fallback', { actions: [{ type: 'SAY', params: { text: 'From the fallback.' } }, { type: 'HANGUP' }] });
  await runFlow(s, { url: s.server.url('/down'), method: 'POST', format: 'json', fallbackUrl: s.server.url('/fallback') });
  t.same(s.tts.spoken, ['From the fallback.']);
  t.same(
    s.server.received.map((r) => `${r.path} ${r.fields.type}`),
    ['/down init_call', '/fallback init_call', '/down call_ended'],
  );

  const s2 = await setup(t);
  s2.server.routes.set('/badjson', (_req, res) => {
    res.writeHead(200).end('{"actions": [');
  });
  s2.server.json('/fallback', { actions: [{ type: 'SAY', params: { text: 'From the fallback.' } }, { type: 'HANGUP' }] });
  await runFlow(s2, { url: s2.server.url('/badjson'), method: 'POST', format: 'json', fallbackUrl: s2.server.url('/fallback') });
  t.same(s2.tts.spoken, ['From the fallback.'], 'bad JSON counts as a failure');
});

t.test('callback and fallback both down: error prompt, then hang up', async (t) => {
  const s = await setup(t, { callbackTimeoutMs: 300, finalCallbackTimeoutMs: 300 });
  // Never answers: the timeout is what fails it.
  s.server.routes.set('/slow', () => {});
  await runFlow(s, { url: s.server.url('/slow'), method: 'POST', format: 'json', fallbackUrl: 'http://127.0.0.1:9/nothing' });
  t.same(s.tts.spoken, [ERROR_PROMPT]);
  t.same(s.port.events, ['play:pcm:finished', 'hangup']);
});

t.test('every callback failure is reported for the call record, with what the fallback did and what followed', async (t) => {
  const s = await setup(t, { callbackTimeoutMs: 300, finalCallbackTimeoutMs: 300 });
  s.server.routes.set('/slow', () => {});
  s.server.routes.set('/500', (_req, res) => {
    res.writeHead(500).end('oops');
  });
  s.server.routes.set('/badjson', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"actions": [');
  });
  // The first answer runs out, so the flow asks again: that second request fails in another way.
  s.server.routes.set('/fallback', (req, res) => {
    const body =
      req.fields.type === 'init_call'
        ? { actions: [{ type: 'SAY', params: { text: 'From the fallback.' } }] }
        : { actions: [{ type: 'HANGUP' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const failuresOf = async (callback: CallbackConfig) => {
    const port = new FakeCallPort();
    const runner = s.engine.runner(port, callback, initRequest());
    const seen: unknown[] = [];
    runner.on('callbackFailure', (f) => seen.push(f));
    await runner.run();
    return seen;
  };
  const fallbackUrl = s.server.url('/fallback');

  t.match(
    await failuresOf({ url: s.server.url('/500'), method: 'POST', format: 'json', fallbackUrl }),
    [
      {
        callbackType: 'init_call',
        url: s.server.url('/500'),
        error: 'HTTP 500',
        fallbackUrl,
        fallbackError: null,
        outcome: 'fallback_answered',
      },
      { callbackType: 'actions_complete', error: 'HTTP 500', fallbackError: null, outcome: 'fallback_answered' },
      { callbackType: 'call_ended', url: s.server.url('/500'), error: 'HTTP 500', fallbackUrl: null, outcome: 'not_delivered' },
    ],
    'non-2xx: the fallback answered both times; the final callback (no fallback) was not delivered',
  );
  const timeouts = await failuresOf({
    url: s.server.url('/slow'),
    method: 'POST',
    format: 'json',
    fallbackUrl: s.server.url('/badjson'),
  });
  t.match(
    timeouts,
    [
      {
        callbackType: 'init_call',
        error: /no response within/,
        fallbackUrl: s.server.url('/badjson'),
        fallbackError: 'answer is not JSON',
        outcome: 'error_prompt',
      },
      { callbackType: 'call_ended', error: /no response within/, outcome: 'not_delivered' },
    ],
    'timeout, then bad JSON at the fallback: the error prompt',
  );
  t.equal(timeouts.length, 2, 'one record per failed request');
  const noFallback = await failuresOf({ url: s.server.url('/badjson'), method: 'POST', format: 'json' });
  t.match(noFallback, [{ error: 'answer is not JSON', fallbackUrl: null, fallbackError: null, outcome: 'error_prompt' }]);
  t.ok(
    noFallback.every((f) => !Number.isNaN(Date.parse((f as { at: string }).at))),
    'each failure is stamped with its time',
  );
  const ok = await failuresOf({ url: fallbackUrl, method: 'POST', format: 'json' });
  t.same(ok, [], 'a flow whose callbacks all answered reports nothing');
});

t.test('a REST redirect while a callback is out takes over at once: no fallback, no error prompt', async (t) => {
  const s = await setup(t, { callbackTimeoutMs: 5000, finalCallbackTimeoutMs: 300 });
  s.server.routes.set('/slow', () => {});
  s.server.routes.set('/500', (_req, res) => {
    res.writeHead(500).end();
  });
  s.server.json('/ok', { actions: [{ type: 'SAY', params: { text: 'From the callback.' } }, { type: 'HANGUP' }] });
  const redirectWhileAsked = async (callback: CallbackConfig, path: string) => {
    s.server.received.length = 0;
    s.tts.spoken.length = 0;
    const runner = s.engine.runner(new FakeCallPort(), callback, initRequest());
    const seen: { outcome: string; error: string; fallbackError: string | null }[] = [];
    runner.on('callbackFailure', (f) => seen.push(f));
    const running = runner.run();
    const asked = Date.now();
    while (!s.server.received.some((r) => r.path === path) && Date.now() - asked < 5000)
      await new Promise((r) => setTimeout(r, 5));
    const at = Date.now();
    runner.redirect({ actions: [{ type: 'SAY', params: { text: 'Redirected.' } }, { type: 'HANGUP' }] });
    await running;
    return { seen, tookMs: Date.now() - at, paths: s.server.received.map((r) => `${r.path} ${r.fields.type}`) };
  };

  const slow = await redirectWhileAsked(
    { url: s.server.url('/slow'), method: 'POST', format: 'json', fallbackUrl: s.server.url('/ok') },
    '/slow',
  );
  t.same(s.tts.spoken, ['Redirected.'], 'the inline actions ran, not the fallback nor the error prompt');
  t.ok(slow.tookMs < 2500, `the request out was dropped at once, not waited for its 5 s timeout (${slow.tookMs} ms)`);
  t.same(slow.paths, ['/slow init_call', '/slow call_ended'], 'the fallback URL was never asked');
  t.same(
    slow.seen.map((f) => f.outcome),
    ['not_delivered'],
    'a request dropped for a redirect is no callback failure',
  );

  const fallback = await redirectWhileAsked(
    { url: s.server.url('/500'), method: 'POST', format: 'json', fallbackUrl: s.server.url('/slow') },
    '/slow',
  );
  t.same(s.tts.spoken, ['Redirected.']);
  t.match(
    fallback.seen,
    [{ outcome: 'redirected', error: 'HTTP 500', fallbackError: null }, { outcome: 'not_delivered' }],
    'the callback URL failed; the redirect came while the fallback was asked',
  );
});

t.test('private callback hosts are refused unless allowed', async (t) => {
  const s = await setup(t, {}, false);
  s.server.json('/hello.json', script('hello-world'));
  await runFlow(s, GET(s.server.url('/hello.json')));
  t.same(s.tts.spoken, [ERROR_PROMPT], 'the loopback callback was never asked');
  t.same(s.server.received, []);
});

t.test('an endless GOTO loop is cut off by the action limit', async (t) => {
  const s = await setup(t, { maxActions: 50 });
  s.server.json('/loop', {
    actions: [
      { type: 'LABEL', name: 'top' },
      { type: 'GOTO', params: { label: 'top' } },
    ],
  });
  await runFlow(s, { url: s.server.url('/loop'), method: 'POST', format: 'json' });
  t.ok(s.port.hungUp);
  t.same(
    s.server.received.map((r) => r.fields.type),
    ['init_call', 'call_ended'],
  );
});

t.test('a server that always has more is cut off by the callback limit', async (t) => {
  const s = await setup(t, { maxCallbacks: 5 });
  let n = 0;
  s.server.routes.set('/more', (_req, res) => {
    res.end(JSON.stringify({ actions: [{ type: 'SESSIONDATA', session_data: { n: n++ } }] }));
  });
  await runFlow(s, { url: s.server.url('/more'), method: 'POST', format: 'json' });
  t.equal(s.server.received.filter((r) => r.fields.type !== 'call_ended').length, 5);
  t.ok(s.port.hungUp);
});

t.test('the caller hanging up stops the prompt and sends the final callback', async (t) => {
  const s = await setup(t);
  s.server.json('/long', { actions: [{ type: 'SAY', params: { text: 'Please hold. '.repeat(200), loop: 0 } }] });
  const run = s.engine.runner(s.port, { url: s.server.url('/long'), method: 'POST', format: 'json' }, initRequest()).run();
  while (s.tts.spoken.length === 0) await new Promise((r) => setTimeout(r, 5));
  s.port.remoteHangup();
  await run;
  t.equal(s.port.plays[0]!.result, 'stopped');
  t.notOk(s.port.hungUp, 'the flow did not hang up again');
  t.same(
    s.server.received.map((r) => r.fields.type),
    ['init_call', 'call_ended'],
  );
});

t.test('COLLECT: num_digits ends it, a key before the timeout restarts the wait, digits stored under the name', async (t) => {
  const s = await setup(t);
  s.server.routes.set('/c', (req, res) => {
    res.end(
      JSON.stringify(
        req.fields.type === 'init_call'
          ? {
              actions: [
                {
                  type: 'COLLECT',
                  name: 'pin',
                  params: { num_digits: 4, timeout: 2000 },
                  actions: [{ type: 'PAUSE', params: { length: 50 } }],
                },
                { type: 'COLLECT', params: { finish_on_key: 'star', timeout: 2000 } },
                {
                  type: 'IF',
                  condition: "$collected.pin == '1234' && $keyPresses == '9'",
                  then: [{ type: 'SAY', params: { text: 'ok' } }],
                  orElse: [{ type: 'SAY', params: { text: 'no' } }],
                },
              ],
            }
          : { actions: [{ type: 'HANGUP' }] },
      ),
    );
  });
  s.port.keys = ['1234', '9*'];
  await runFlow(s, { url: s.server.url('/c'), method: 'POST', format: 'json' });
  t.same(s.tts.spoken, ['ok']);
  const second = s.server.received[1]!;
  t.same(second.fields.key_presses, [
    { name: 'pin', digits: '1234' },
    { name: 'collect', digits: '9' },
  ]);
});

t.test('RECORD: beep, record until the finishing key (or max_length), id reported under its name', async (t) => {
  const s = await setup(t);
  s.server.routes.set('/r', (req, res) => {
    res.end(
      JSON.stringify(
        req.fields.type === 'init_call'
          ? {
              actions: [
                { type: 'RECORD', name: 'voicemail', params: { finish_on_key: 'pound', max_length: 60000 } },
                { type: 'RECORD', name: 'short', params: { beep: false, max_length: 1000 } },
              ],
            }
          : { actions: [{ type: 'HANGUP' }] },
      ),
    );
  });
  s.port.keys = ['#'];
  const started = Date.now();
  await runFlow(s, { url: s.server.url('/r'), method: 'POST', format: 'json' });
  t.same(
    s.port.events.slice(0, 5),
    ['play:tone:finished', 'record:rec-1', 'digits:#', 'record-stop:rec-1', 'record:rec-2'],
    'beep, record, # ends it; the second has no beep',
  );
  t.ok(Date.now() - started >= 1000, 'the second ran for its max_length');
  t.same(s.server.received[1]!.fields.recordings, [
    { name: 'voicemail', id: 'rec-1' },
    { name: 'short', id: 'rec-2' },
  ]);
});

t.test("a caller's events land under session_data.info, never over the application's keys, up to 16 KB", async (t) => {
  const s = await setup(t);
  s.server.json('/hangup.json', { actions: [{ type: 'HANGUP' }] });
  const runner = s.engine.runner(
    s.port,
    { url: s.server.url('/hangup.json'), method: 'POST', format: 'json' },
    initRequest({ session_data: { plan: 'gold', info: 'the app put a string here' } }),
  );
  runner.receiveInfo('user_signed_in', { userId: 'abc123' });
  runner.receiveInfo('cart', { items: 1 });
  runner.receiveInfo('cart', { items: 2 });
  runner.receiveInfo('huge', 'x'.repeat(17 * 1024));
  runner.receiveInfo('plan', 'platinum');
  await runner.run();
  const final = await s.server.waitFor('call_ended');
  t.same(
    final.fields.session_data,
    { plan: 'gold', info: { user_signed_in: { userId: 'abc123' }, cart: { items: 2 }, plan: 'platinum' } },
    'the latest data per event, the oversized one left out, the application key `plan` untouched',
  );
});
