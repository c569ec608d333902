/**
 * TTS through any OpenAI-compatible `POST /v1/audio/speech` endpoint (OpenAI, or a local server
 * such as a Piper/Kokoro wrapper). One request per sentence, the next one sent while the current
 * one plays; with `pcm` the response body is streamed as it arrives.
 */
import type { Logger } from 'pino';
import { type PcmChunk, type SynthesisOptions, TtsError, type TtsProvider, checkText, splitSentences } from './tts.js';
import { decodePcm16, decodeWav } from './wav.js';

export interface OpenAiSpeechOptions {
  /** e.g. `https://api.openai.com` or `http://127.0.0.1:8880`; a trailing `/v1` is accepted too. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  voice: string;
  /** `wav` (rate read from the header) or `pcm` (raw 16-bit LE at `pcmSampleRate`, streamed). */
  responseFormat: 'wav' | 'pcm';
  pcmSampleRate: number;
  timeoutMs: number;
  /** A response larger than this is refused (a misbehaving server must not fill memory). */
  maxResponseBytes?: number;
  logger?: Logger;
}

const VOICE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export class OpenAiSpeechProvider implements TtsProvider {
  readonly name = 'openai';
  readonly defaultVoice: string;
  readonly cacheScope: string;
  private readonly url: string;
  private readonly maxBytes: number;
  private readonly controllers = new Set<AbortController>();
  private closed = false;
  /** Requests sent so far. */
  requests = 0;

  constructor(private readonly options: OpenAiSpeechOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    const parsed = new URL(base);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new TtsError('http', `speech baseUrl must be http(s): ${base}`);
    this.url = base.endsWith('/v1') ? `${base}/audio/speech` : `${base}/v1/audio/speech`;
    this.defaultVoice = options.voice;
    this.cacheScope = `${this.url} ${options.model} ${options.responseFormat} ${options.pcmSampleRate}`;
    this.maxBytes = options.maxResponseBytes ?? 50 * 1024 * 1024;
  }

  async *synthesize(text: string, options: SynthesisOptions = {}): AsyncGenerator<PcmChunk> {
    checkText(text);
    const voice = options.voice ?? this.defaultVoice;
    if (!VOICE_NAME.test(voice)) throw new TtsError('bad-voice', `invalid voice name "${String(voice).slice(0, 40)}"`);
    const sentences = splitSentences(text);
    let ahead: Promise<Response> | undefined;
    const controllers: AbortController[] = [];
    try {
      for (let i = 0; i < sentences.length; i++) {
        const response = await (ahead ?? this.request(sentences[i], voice, options, controllers));
        ahead = i + 1 < sentences.length ? this.request(sentences[i + 1], voice, options, controllers) : undefined;
        ahead?.catch(() => {});
        yield* this.decode(response);
      }
    } finally {
      for (const c of controllers) {
        c.abort();
        this.controllers.delete(c);
      }
    }
  }

  private async request(
    input: string,
    voice: string,
    options: SynthesisOptions,
    controllers: AbortController[],
  ): Promise<Response> {
    if (this.closed) throw new TtsError('closed', 'speech provider closed');
    const controller = new AbortController();
    controllers.push(controller);
    this.controllers.add(controller);
    const signals = [controller.signal, AbortSignal.timeout(this.options.timeoutMs)];
    if (options.signal) signals.push(options.signal);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: this.options.responseFormat === 'wav' ? 'audio/wav' : 'audio/pcm',
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const body: Record<string, string> = {
      model: this.options.model,
      voice,
      input,
      response_format: this.options.responseFormat,
    };
    if (options.language) body.language = options.language;
    this.requests++;
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.any(signals),
        redirect: 'error',
      });
    } catch (err) {
      options.signal?.throwIfAborted();
      throw new TtsError('http', `speech endpoint unreachable: ${(err as Error).message}`);
    }
    if (!res.ok) {
      const detail = (await res.text().catch(() => '')).slice(0, 200);
      throw new TtsError(
        res.status === 400 || res.status === 404 || res.status === 422 ? 'bad-voice' : 'http',
        `speech endpoint answered ${res.status}${detail ? `: ${detail}` : ''}`,
      );
    }
    return res;
  }

  private async *decode(res: Response): AsyncGenerator<PcmChunk> {
    if (!res.body) throw new TtsError('http', 'speech endpoint sent no body');
    let total = 0;
    if (this.options.responseFormat === 'wav') {
      const parts: Uint8Array[] = [];
      for await (const part of res.body) {
        total += part.length;
        if (total > this.maxBytes) throw new TtsError('http', `speech response over ${this.maxBytes} bytes`);
        parts.push(part);
      }
      const pcm = decodeWav(Buffer.concat(parts));
      if (pcm.samples.length) yield pcm;
      return;
    }
    // Raw PCM: pass each piece on as it arrives, holding back an odd trailing byte.
    let carry: Uint8Array = new Uint8Array(0);
    for await (const part of res.body) {
      total += part.length;
      if (total > this.maxBytes) throw new TtsError('http', `speech response over ${this.maxBytes} bytes`);
      const buf = carry.length ? Buffer.concat([carry, part]) : part;
      const even = buf.length & ~1;
      carry = buf.slice(even);
      if (even) yield decodePcm16(buf.subarray(0, even), this.options.pcmSampleRate);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
  }
}
