import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { OpenAiSpeechProvider, type OpenAiSpeechOptions } from '../../src/speech/openai-provider.js';
import type { PcmChunk } from '../../src/speech/tts.js';
import { encodeWav } from '../../src/speech/wav.js';
import { concat, sine } from './audio.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

async function collect(it: AsyncIterable<PcmChunk>): Promise<PcmChunk[]> {
  const out: PcmChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** A speech endpoint on loopback: a 0.5 s tone per request, as WAV or streamed raw PCM. */
async function speechServer(t: Test, handle?: (req: Seen, res: ServerResponse) => boolean) {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(raw) };
      seen.push(s);
      if (handle?.(s, res)) return;
      const tone = sine(440, 22050, 0.5);
      if (s.body.response_format === 'wav') {
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(encodeWav(tone, 22050));
        return;
      }
      // Raw PCM in odd-sized pieces, as a streaming server would send it.
      const bytes = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      let off = 0;
      const step = () => {
        if (off >= bytes.length) return res.end();
        res.write(bytes.subarray(off, off + 1001));
        off += 1001;
        setImmediate(step);
      };
      step();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { seen, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function options(baseUrl: string, over: Partial<OpenAiSpeechOptions> = {}): OpenAiSpeechOptions {
  return {
    baseUrl,
    apiKey: 'sk-test',
    model: 'tts-1',
    voice: 'alloy',
    responseFormat: 'wav',
    pcmSampleRate: 22050,
    timeoutMs: 5000,
    ...over,
  };
}

t.test('WAV responses: one request per sentence, the configured model, voice and key', async (t) => {
  const { seen, baseUrl } = await speechServer(t);
  const tts = new OpenAiSpeechProvider(options(baseUrl));
  const chunks = await collect(tts.synthesize('Hello there. How are you?', { voice: 'nova', language: 'en' }));
  t.equal(chunks.length, 2);
  t.equal(chunks[0].sampleRate, 22050);
  t.same(chunks[0].samples, sine(440, 22050, 0.5));
  t.equal(seen.length, 2);
  t.equal(seen[0].method, 'POST');
  t.equal(seen[0].url, '/v1/audio/speech');
  t.equal(seen[0].auth, 'Bearer sk-test');
  t.same(seen[0].body, { model: 'tts-1', voice: 'nova', input: 'Hello there.', response_format: 'wav', language: 'en' });
  t.equal(seen[1].body.input, 'How are you?');
});

t.test('PCM responses are streamed in pieces and reassembled exactly', async (t) => {
  const { seen, baseUrl } = await speechServer(t);
  const tts = new OpenAiSpeechProvider(options(`${baseUrl}/v1/`, { responseFormat: 'pcm' }));
  const chunks = await collect(tts.synthesize('Streaming works.'));
  t.ok(chunks.length > 1, `${chunks.length} chunks for one sentence`);
  t.ok(chunks.every((c) => c.sampleRate === 22050));
  t.same(concat(chunks.map((c) => c.samples)), sine(440, 22050, 0.5));
  t.equal(seen[0].url, '/v1/audio/speech', 'a baseUrl ending in /v1 is not doubled');
  t.equal(seen[0].body.response_format, 'pcm');
});

t.test('errors from the endpoint are TtsErrors with its status', async (t) => {
  const { baseUrl } = await speechServer(t, (s, res) => {
    if (s.body.voice === 'nosuch') res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"voice not found"}');
    else if (s.body.input === 'Broken.') res.writeHead(200, { 'content-type': 'audio/wav' }).end('not a wav');
    else if (s.body.input === 'Huge.') res.writeHead(200).end(Buffer.alloc(4096));
    else return false;
    return true;
  });
  const tts = new OpenAiSpeechProvider(options(baseUrl, { maxResponseBytes: 1024 }));
  await t.rejects(collect(tts.synthesize('Hi.', { voice: 'nosuch' })), {
    name: 'TtsError',
    code: 'bad-voice',
    message: /answered 400: .*voice not found/,
  });
  await t.rejects(collect(tts.synthesize('Hi.', { voice: '../../etc' })), { code: 'bad-voice' });
  await t.rejects(collect(tts.synthesize('Broken.')), { code: 'engine', message: /RIFF/ });
  await t.rejects(collect(tts.synthesize('Huge.')), { code: 'http', message: /over 1024 bytes/ });
  const dead = new OpenAiSpeechProvider(options('http://127.0.0.1:1'));
  await t.rejects(collect(dead.synthesize('Hi.')), { code: 'http', message: /unreachable/ });
  t.throws(() => new OpenAiSpeechProvider(options('file:///etc/passwd')), { code: 'http' });
});

t.test('a slow endpoint times out', async (t) => {
  const { baseUrl } = await speechServer(t, (_s, res) => {
    setTimeout(() => res.writeHead(200).end(), 2000).unref();
    return true;
  });
  const tts = new OpenAiSpeechProvider(options(baseUrl, { timeoutMs: 200 }));
  const start = performance.now();
  await t.rejects(collect(tts.synthesize('Hi.')), { code: 'http' });
  t.ok(performance.now() - start < 1500);
});

t.test('createTtsProvider builds the configured engine behind the cache', async (t) => {
  const { configSchema } = await import('../../config/schema.js');
  const { createTtsProvider } = await import('../../src/speech/index.js');
  const { seen, baseUrl } = await speechServer(t);
  const config = configSchema.parse({
    speech: { tts: { provider: 'openai', cache: { diskBytes: 0 }, openai: { baseUrl, apiKey: 'k', voice: 'echo' } } },
  });
  const tts = createTtsProvider(config);
  t.teardown(() => tts.close());
  t.equal(tts.name, 'openai');
  t.equal(tts.defaultVoice, 'echo');
  await collect(tts.synthesize('Cached once.'));
  await collect(tts.synthesize('Cached once.'));
  t.equal(seen.length, 1, 'the second prompt came from the cache');
  t.equal(seen[0].body.voice, 'echo');
});
