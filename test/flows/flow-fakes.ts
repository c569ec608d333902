/**
 * Deterministic stand-ins for the engine tests: a TTS that records what it was asked to say, a
 * call port that "plays" audio for its length (scaled down) and sends scripted key presses, and a
 * real HTTP callback server on 127.0.0.1 that records every request it receives.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { PcmChunk, SynthesisOptions, TtsProvider } from '../../src/speech/tts.js';
import type { FlowAudio, FlowCallPort, FlowRecording, PlayResult } from '../../src/flows/call-port.js';

export const silentLogger: Logger = pino({ level: process.env.FLOW_TEST_LOG ?? 'silent' });

/** Each prompt is 100 ms of audio per word, at 8 kHz. */
export class FakeTts implements TtsProvider {
  readonly name = 'fake';
  readonly cacheScope = 'fake';
  readonly defaultVoice = 'fake';
  readonly spoken: string[] = [];

  async *synthesize(text: string, options: SynthesisOptions = {}): AsyncGenerator<PcmChunk> {
    this.spoken.push(text);
    const words = text.split(/\s+/).filter(Boolean).length;
    for (let i = 0; i < words; i++) {
      if (options.signal?.aborted) throw options.signal.reason;
      yield { samples: new Int16Array(800), sampleRate: 8000 };
    }
  }

  async close(): Promise<void> {}
}

export interface PlayRecord {
  kind: 'pcm' | 'file' | 'tone';
  what?: string;
  result: PlayResult;
  ms: number;
}

export class FakeCallPort implements FlowCallPort {
  readonly logger = silentLogger;
  private readonly abort = new AbortController();
  readonly ended = this.abort.signal;
  readonly plays: PlayRecord[] = [];
  /** Everything in order: 'play:…', 'digits:…', 'hangup'. */
  readonly events: string[] = [];
  hungUp = false;
  /** Key presses to send, one entry per digit subscription (COLLECT), in order. */
  keys: string[] = [];
  private listeners = new Set<(d: string) => void>();
  private readonly started = Date.now();

  /** `speed`: how much faster than real time audio "plays". */
  constructor(private readonly speed = 20) {}

  callTimeMs(): number {
    return Date.now() - this.started;
  }

  onDigit(listener: (digit: string) => void): () => void {
    this.listeners.add(listener);
    const keys = this.keys.shift();
    if (keys) {
      this.events.push(`digits:${keys}`);
      // After the first prompt started: pressed while it plays (barge-in), one key at a time.
      let i = 0;
      const next = (): void => {
        if (i >= keys.length || this.ended.aborted) return;
        this.press(keys[i++]!);
        setTimeout(next, 5);
      };
      setTimeout(next, 15);
    }
    return () => this.listeners.delete(listener);
  }

  press(digit: string): void {
    for (const l of [...this.listeners]) l(digit);
  }

  private recordings = 0;

  async record(): Promise<FlowRecording> {
    const id = `rec-${++this.recordings}`;
    const started = Date.now();
    this.events.push(`record:${id}`);
    return {
      id,
      stop: async () => {
        this.events.push(`record-stop:${id}`);
        return { path: `/tmp/${id}.wav`, durationMs: Date.now() - started };
      },
    };
  }

  async hangup(): Promise<void> {
    if (this.hungUp) return;
    this.hungUp = true;
    this.events.push('hangup');
    this.abort.abort(new Error('call ended'));
  }

  /** The caller hangs up. */
  remoteHangup(): void {
    this.events.push('remote-hangup');
    this.abort.abort(new Error('call ended'));
  }

  async play(source: FlowAudio, opts: { signal?: AbortSignal } = {}): Promise<PlayResult> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.ended]) : this.ended;
    let audioMs = 0;
    let kind: PlayRecord['kind'];
    let what: string | undefined;
    if ('pcm' in source) {
      kind = 'pcm';
      try {
        for await (const c of source.pcm) {
          audioMs += (c.samples.length * 1000) / c.sampleRate;
          if (signal.aborted) break;
        }
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    } else if ('file' in source) {
      kind = 'file';
      what = source.file;
      audioMs = 1000;
    } else {
      kind = 'tone';
      what = source.tone;
      audioMs = 200;
    }
    const start = Date.now();
    const result = await new Promise<PlayResult>((resolve) => {
      if (signal.aborted) return resolve('stopped');
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve('finished');
      }, audioMs / this.speed);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve('stopped');
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    this.plays.push({ kind, what, result, ms: Date.now() - start });
    this.events.push(`play:${kind}:${result}`);
    return result;
  }
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** The callback request's fields, whatever the encoding (JSON body, form body or query). */
  fields: Record<string, string | unknown>;
  at: number;
}

export type Route = (req: ReceivedRequest, res: ServerResponse) => void | Promise<void>;

export class CallbackServer {
  readonly received: ReceivedRequest[] = [];
  readonly routes = new Map<string, Route>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const body = Buffer.concat(parts).toString('utf8');
        const type = String(req.headers['content-type'] ?? '');
        let fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
        if (type.includes('json')) fields = JSON.parse(body) as Record<string, unknown>;
        else if (type.includes('x-www-form-urlencoded')) fields = Object.fromEntries(new URLSearchParams(body));
        const r: ReceivedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          fields,
          at: Date.now(),
        };
        this.received.push(r);
        const route = this.routes.get(url.pathname);
        if (!route) {
          res.writeHead(404).end();
          return;
        }
        void route(r, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  json(path: string, body: unknown): void {
    this.routes.set(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Resolves once a request of callback `type` arrived (the final one comes after the runner's hangup). */
  async waitFor(type: string, timeoutMs = 5000): Promise<ReceivedRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.received.find((x) => x.fields.type === type);
      if (r) return r;
      if (Date.now() > deadline) throw new Error(`no ${type} callback within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
