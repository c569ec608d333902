import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readWav } from '../../media/wav.js';
import { CachingAudioFetcher } from '../../src/flows/audio-fetcher.js';
import { FlowEngine } from '../../src/flows/flow-engine.js';
import { encodeWav } from '../../src/speech/wav.js';
import { peakFrequency, rms } from '../media/unit/spectrum.js';
import { CallbackServer, FakeCallPort, FakeTts, silentLogger } from './flow-fakes.js';

const wav = encodeWav(new Int16Array(8000), 8000);
/** 2 s of a 1200 Hz tone, 44.1 kHz joint stereo, 32 kbit/s (made with lame). */
const toneMp3 = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../test/flows/fixtures/tone-1200hz.mp3'));

async function serve(t: { teardown(fn: () => unknown): void }) {
  const server = new CallbackServer();
  await server.start();
  t.teardown(() => server.close());
  server.routes.set('/a.wav', (_r, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
  });
  server.routes.set('/b.wav', (_r, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
  });
  server.routes.set('/song.mp3', (_r, res) => {
    res.writeHead(200).end(Buffer.concat([Buffer.from('ID3'), Buffer.alloc(5000)]));
  });
  server.routes.set('/tone.mp3', (_r, res) => {
    res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(toneMp3);
  });
  server.routes.set('/text.wav', (_r, res) => {
    res.writeHead(200).end('<html>not audio</html>');
  });
  server.routes.set('/big.wav', (_r, res) => {
    res.writeHead(200).end(Buffer.alloc(100_000));
  });
  server.routes.set('/moved.wav', (_r, res) => {
    res.writeHead(302, { location: '/a.wav' }).end();
  });
  const dir = mkdtempSync(join(tmpdir(), 'flow-audio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { server, dir };
}

const fetcherOpts = (dir: string) => ({
  dir,
  maxBytes: 50_000,
  timeoutMs: 2000,
  maxAgeMs: 60_000,
  cacheMaxBytes: 1_000_000,
  allowPrivate: true,
  logger: silentLogger,
});
const never = new AbortController().signal;

t.test('a WAV is fetched once and then served from the cache; other files are refused with the reason', async (t) => {
  const { server, dir } = await serve(t);
  const fetcher = new CachingAudioFetcher(fetcherOpts(dir));
  const [p1, p2] = await Promise.all([fetcher.fetch(server.url('/a.wav'), never), fetcher.fetch(server.url('/a.wav'), never)]);
  t.equal(p1, p2);
  t.ok(existsSync(p1!));
  await fetcher.fetch(server.url('/a.wav'), never);
  t.equal(server.received.filter((r) => r.path === '/a.wav').length, 1, 'one download for three plays');
  await t.rejects(fetcher.fetch(server.url('/song.mp3'), never), /not a decodable MP3/, 'an ID3 tag and no frames');
  await t.rejects(fetcher.fetch(server.url('/text.wav'), never), /not a playable WAV/);
  await t.rejects(fetcher.fetch(server.url('/big.wav'), never), /larger than 50000 bytes/);
  await t.rejects(fetcher.fetch(server.url('/moved.wav'), never), /HTTP 302/, 'redirects are not followed');
  const strict = new CachingAudioFetcher({ ...fetcherOpts(dir), allowPrivate: false });
  await t.rejects(strict.fetch('http://127.0.0.1:1/x.wav', never), /not a public address/);
  await t.rejects(strict.fetch('http://localhost:1/x.wav', never), /non-public address/);
});

t.test('an MP3 is decoded once into a mono WAV of at most 16 kHz that holds its tone; long ones are cut', async (t) => {
  const { server, dir } = await serve(t);
  const fetcher = new CachingAudioFetcher(fetcherOpts(dir));
  const [p1, p2] = await Promise.all([
    fetcher.fetch(server.url('/tone.mp3'), never),
    fetcher.fetch(server.url('/tone.mp3'), never),
  ]);
  t.equal(p1, p2);
  t.equal(await fetcher.fetch(server.url('/tone.mp3'), never), p1, 'served from the cache');
  t.equal(server.received.filter((r) => r.path === '/tone.mp3').length, 1, 'one download, one decode');
  const audio = readWav(p1!);
  t.equal(audio.channels, 1, 'mixed down to mono');
  t.equal(audio.sampleRate, 16000, 'resampled 44.1 -> 16 kHz');
  const seconds = audio.samples[0]!.length / audio.sampleRate;
  t.ok(seconds > 1.9 && seconds < 2.2, `about 2 s of audio (${seconds.toFixed(3)} s)`);
  const middle = audio.samples[0]!.subarray(8000, 24000);
  t.ok(Math.abs(peakFrequency(middle, 16000, 100, 7000) - 1200) <= 10, 'the 1200 Hz tone');
  t.ok(rms(middle) > 8000, `at its level (rms ${Math.round(rms(middle))} of a half-scale sine)`);

  const short = new CachingAudioFetcher({ ...fetcherOpts(mkdtempSync(join(dir, 'short-'))), mp3MaxSeconds: 0.5 });
  const cut = readWav(await short.fetch(server.url('/tone.mp3'), never));
  t.equal(cut.samples[0]!.length, 8000, 'cut at the 0.5 s limit');

  const hasty = new CachingAudioFetcher({ ...fetcherOpts(mkdtempSync(join(dir, 'hasty-'))), mp3DecodeTimeoutMs: 1 });
  await t.rejects(hasty.fetch(server.url('/tone.mp3'), never), /MP3 decoding took over 1 ms/, 'a slow decode is given up');
});

t.test('the cache stays within its disk budget', async (t) => {
  const { server, dir } = await serve(t);
  const fetcher = new CachingAudioFetcher({ ...fetcherOpts(dir), cacheMaxBytes: wav.length + 10 });
  const a = await fetcher.fetch(server.url('/a.wav'), never);
  await new Promise((r) => setTimeout(r, 20));
  const b = await fetcher.fetch(server.url('/b.wav'), never);
  t.notOk(existsSync(a), 'the older file was evicted');
  t.ok(existsSync(b));
});

t.test('PLAY in a flow: loops the cached file; unplayable audio is skipped and the flow goes on', async (t) => {
  const { server, dir } = await serve(t);
  server.json('/flow', {
    actions: [
      { type: 'PLAY', params: { url: server.url('/a.wav'), loop: 2 } },
      { type: 'PLAY', params: { url: server.url('/song.mp3') } },
      { type: 'SAY', params: { text: 'After the music.' } },
      { type: 'HANGUP' },
    ],
  });
  const tts = new FakeTts();
  const port = new FakeCallPort();
  const engine = new FlowEngine({ tts, dataDir: dir, logger: silentLogger, allowPrivateTargets: true });
  await engine
    .runner(
      port,
      { url: server.url('/flow'), method: 'POST', format: 'json' },
      {
        type: 'init_call',
        app_id: 'a',
        subaccount_id: '0',
        call_id: 'c',
        start_time: new Date().toISOString(),
        direction: 'inbound',
        duration: 0,
        status: 'live-in-progress',
        detection: null,
        caller_no: '+19495551212',
        caller_no_city: null,
        caller_no_region: null,
        caller_no_country: null,
        caller_no_timezone: null,
        api_no: '+17145551212',
        api_no_city: null,
        api_no_region: null,
        api_no_country: null,
        api_no_timezone: null,
        key_presses: [],
        recordings: [],
        custom_data: null,
        session_data: null,
        end_time: null,
        sip_domain: null,
        sip_forwarded_for: null,
      },
    )
    .run();
  t.same(port.events, ['play:file:finished', 'play:file:finished', 'play:pcm:finished', 'hangup']);
  t.ok(port.plays[0]!.what!.startsWith(join(dir, 'flow-audio')), 'played from the cache under DATA_DIR/flow-audio');
  t.same(tts.spoken, ['After the music.']);
});
