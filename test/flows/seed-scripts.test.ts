/**
 * The Voxology seed's four sample scripts, unchanged, served as static JSON files (GET) by a local
 * HTTP server, on calls from a sipp carrier to our DIDs, set up as the seed's tutorials say: one
 * number inherits its application's callback configuration (hello world), the others turn the
 * inherit toggle off and name the script's URL with method GET.
 *
 * What the caller hears is checked against sentences synthesized here by the same engine and voice:
 * every SAY that ran is heard (its loudness envelope matches closely), a SAY that was skipped (past a
 * GOTO, or the IF branch not taken) is not, and the speech heard lasts about as long as the SAYs
 * that ran. The branch taken follows the digit sent, as RFC 4733 events and as SIP INFO.
 */
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecSpec } from '../../media/types.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { freePort, startSipp } from '../helpers/sipp.js';
import { RtpPeer } from '../helpers/rtp-peer.js';
import { settled, tempDir } from '../calls/phones.js';
import { CallbackServer } from './flow-fakes.js';
import { matches, REFERENCE_SPEECH, speechSeconds, synthesize } from './heard-speech.js';

t.setTimeout(400000);

const CARRIER = '127.0.0.2';
const CALLER = '+33783484044';
const DIDS = { hello: '+15550200', multi: '+15550201', conditional: '+15550202', variable: '+15550203' };
const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const source = join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(source, 'fixtures', `${name}.json`), 'utf8'));

/** Spoken sentences match at least this well; skipped ones at most `SKIPPED`. */
const SPOKEN = 0.9;
const SKIPPED = 0.75;

function mediaAddress(sdp: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp);
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!c || !m) throw new Error(`no audio address in ${sdp}`);
  return { address: c[1]!, port: Number(m[1]) };
}

interface Dial {
  did: string;
  /** A digit pressed about 2.5 s after the answer, while the COLLECT prompt plays. */
  digit?: { key: string; as: 'rfc4733' | 'info' };
}

t.test("the seed's four scripts run unchanged on carrier calls", async (t) => {
  const dir = tempDir(t, 'seed-scripts-');
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.json('/docs/hello-world.json', fixture('hello-world'));
  server.json('/docs/Example-MultiActionProcessing.json', fixture('multi-action-processing'));
  server.json('/docs/Example-ConditionalProcessing.json', fixture('conditional-processing'));
  server.json('/docs/Example-VariableProcessing.json', fixture('variable-processing'));

  const tp: TestPlatform = await startTestPlatform(t, {
    config: {
      trunks: [
        {
          name: 'carrier',
          host: CARRIER,
          port: await freePort(CARRIER),
          transport: 'udp',
          numbers: Object.values(DIDS).map((number) => ({ number })),
        },
      ],
      webhooks: { allowPrivateTargets: true },
      ...REFERENCE_SPEECH,
    },
  });
  const store = tp.platform.store;
  const project = (await store.projects.first())!;
  const { token } = await store.apiTokens.create(project.id);
  const base = `http://${tp.platform.http.host}:${tp.platform.http.port}`;
  const put = async (path: string, method: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'x-api-key': token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    t.ok(res.status < 300, `${method} ${path}: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const app = await put('/v1/applications', 'POST', {
    name: 'seed',
    callback_url: server.url('/docs/hello-world.json'),
    callback_method: 'GET',
  });
  const scripts: Record<Exclude<keyof typeof DIDS, 'hello'>, string> = {
    multi: '/docs/Example-MultiActionProcessing.json',
    conditional: '/docs/Example-ConditionalProcessing.json',
    variable: '/docs/Example-VariableProcessing.json',
  };
  for (const [name, did] of Object.entries(DIDS)) {
    const n = await store.numbers.assign(project.id, did, { kind: 'application', applicationId: app.id as number });
    if (name === 'hello') continue;
    await put(`/v1/numbers/${n.id}/callback_config`, 'PUT', {
      inherit: false,
      callback_url: server.url(scripts[name as keyof typeof scripts]),
      callback_method: 'GET',
    });
  }

  // the reference sentences come from the platform's own engine (see REFERENCE_SPEECH)
  const tts = tp.platform.tts;
  const media = await RtpPeer.start(CARRIER);
  t.teardown(() => media.close());

  /** One carrier call; resolves with what the caller heard once the flow hung up. */
  const dial = async (d: Dial): Promise<{ samples: Int16Array; rate: number }> => {
    media.reset();
    server.received.length = 0;
    let scenario = join(source, 'scenarios/uac-te-await-bye.xml');
    if (d.digit?.as === 'info') {
      scenario = join(dir, `info-${d.digit.key}.xml`);
      writeFileSync(
        scenario,
        readFileSync(join(source, 'scenarios/uac-info-await-bye.xml'), 'utf8')
          .replaceAll('__DELAY__', '2500')
          .replaceAll('__DIGIT__', d.digit.key),
      );
    }
    const nextCall = tp.nextCall();
    const carrier = await startSipp(t, {
      scenario,
      localHost: CARRIER,
      remote: `${tp.sip.host}:${tp.sip.port}`,
      service: d.did.slice(1),
      timeoutMs: 90000,
      keys: { caller: CALLER, rtp_port: String(media.port) },
    });
    const call = await nextCall;
    await settled(() => call.legs.some((l) => l.role === 'caller') || call.isEnded(), 20000);
    const leg = call.legs.find((l) => l.role === 'caller');
    // Quiet audio to our side (the media path latches on the caller), with the RFC 4733 digit in it.
    const sending =
      leg &&
      media.send({
        remote: mediaAddress(leg.dialog.localSdp),
        codec: PCMU,
        toneHz: 440,
        amplitude: 30,
        durationMs: 4000,
        ...(d.digit?.as === 'rfc4733' ? { dtmf: { digit: d.digit.key, payloadType: 101, clockRate: 8000, atMs: 2500 } } : {}),
      });
    const run = await carrier.wait();
    t.equal(run.code, 0, `${d.did}: answered, the flow hung up (our BYE) ${run.code ? run.errors.slice(0, 300) : ''}`);
    await sending;
    await settled(() => call.isEnded(), 10000);
    t.equal(call.route, 'application');
    const ended = await server.waitFor('call_ended', 15000);
    t.equal(ended.method, 'GET', 'callbacks are GETs of the static file');
    if (d.digit) t.equal(ended.query.get('key_presses[0][digits]'), d.digit.key, `key_presses holds ${d.digit.key}`);
    const heard = await media.report(PCMU);
    return { samples: Int16Array.from(heard.pcm), rate: 8000 };
  };

  /** Spoken sentences are heard, skipped ones are not, and the speech lasts about as long as the spoken ones. */
  const check = async (
    t: Test,
    heard: { samples: Int16Array; rate: number },
    spoken: string[],
    skipped: string[],
    opts: { interrupted?: string } = {},
  ): Promise<void> => {
    const scores = await matches(tts, heard, [...spoken, ...skipped]);
    spoken.forEach((s, i) => {
      t.ok(scores[i]! >= SPOKEN, `heard "${s}" (match ${scores[i]!.toFixed(2)})`);
    });
    skipped.forEach((s, i) => {
      const score = scores[spoken.length + i]!;
      t.ok(score <= SKIPPED, `did not hear "${s}" (match ${score.toFixed(2)})`);
    });
    let expected = 0;
    for (const s of spoken) expected += speechSeconds(await synthesize(tts, s));
    let longestSkipped = 0;
    for (const s of skipped) longestSkipped = Math.max(longestSkipped, speechSeconds(await synthesize(tts, s)));
    const got = speechSeconds(heard);
    // A barged-in prompt adds up to its length; a skipped sentence would add at least half of its.
    const extra = opts.interrupted ? speechSeconds(await synthesize(tts, opts.interrupted)) : 0;
    t.ok(got >= expected * 0.8, `speech heard ${got} s, the spoken SAYs make ${expected.toFixed(1)} s`);
    if (opts.interrupted)
      t.ok(
        got < expected + extra * 0.8,
        `the COLLECT prompt stopped at the first key (barge-in): ${got} s < ${(expected + extra * 0.8).toFixed(1)} s`,
      );
    if (skipped.length)
      t.ok(
        got < expected + extra + longestSkipped * 0.5,
        `and no more: ${got} s < ${(expected + extra + longestSkipped * 0.5).toFixed(1)} s (silence where skipped SAYs were)`,
      );
  };

  const seed = fixture('variable-processing') as { actions: { actions?: { params: { text: string } }[] }[] };
  const variablePrompt = seed.actions[1]!.actions![0]!.params.text;
  const conditionalPrompt = (fixture('conditional-processing') as typeof seed).actions[0]!.actions![0]!.params.text;

  await t.test('hello world (inherited configuration)', async (t) => {
    await check(t, await dial({ did: DIDS.hello }), ['Hello, world.'], []);
  });

  await t.test('multi-action processing: GOTO skips a SAY', async (t) => {
    await check(
      t,
      await dial({ did: DIDS.multi }),
      [
        'Hello, world. Welcome to multi action processing. You can have one or more actions in the same script.',
        'You successfully navigated to a labeled action.',
      ],
      ['You will not reach this part of the script because the go to action will skip this part.'],
    );
  });

  const pressed1 = 'You pressed 1. Thank you for following instructions.';
  const notPressed1 = 'You did not press 1, and did not follow instructions.';
  await t.test('conditional processing: 1 as RFC 4733 takes "then"', async (t) => {
    const heard = await dial({ did: DIDS.conditional, digit: { key: '1', as: 'rfc4733' } });
    await check(t, heard, [pressed1], [notPressed1], { interrupted: conditionalPrompt });
  });
  await t.test('conditional processing: 2 as SIP INFO takes "orElse"', async (t) => {
    const heard = await dial({ did: DIDS.conditional, digit: { key: '2', as: 'info' } });
    await check(t, heard, [notPressed1], [pressed1], { interrupted: conditionalPrompt });
  });

  const over21 = 'You pressed 1, or you are over 21.';
  const notOver21 = 'You did not press 1 and are not a male or are not over 21.';
  const bye = 'We hope you enjoyed variable processing. Good bye.';
  await t.test('variable processing: 1 as SIP INFO (and gender male) takes "then"', async (t) => {
    const heard = await dial({ did: DIDS.variable, digit: { key: '1', as: 'info' } });
    await check(t, heard, [over21, bye], [notOver21], { interrupted: variablePrompt });
  });
  await t.test('variable processing: 2 as RFC 4733 (age 19) takes "orElse"', async (t) => {
    const heard = await dial({ did: DIDS.variable, digit: { key: '2', as: 'rfc4733' } });
    await check(t, heard, [notOver21, bye], [over21], { interrupted: variablePrompt });
  });
});
