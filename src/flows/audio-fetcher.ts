/**
 * PLAY's audio: fetched once per URL into a cache directory (under DATA_DIR), checked to be a WAV
 * the media server can play, then played from disk. An MP3 is decoded once (on a worker thread)
 * into a 16-bit mono WAV of at most 16 kHz, and that WAV is what is cached. Concurrent calls asking
 * for the same URL share one download.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { readWav } from '../../media/wav.js';
import type { AudioFetcher } from './flow-context.js';
import { FlowHttpError, flowHttp } from './flow-http.js';
import { decodeMp3, looksLikeMp3 } from './mp3-decoder.js';

export interface AudioFetcherOptions {
  /** Cache directory, e.g. DATA_DIR/flow-audio. */
  dir: string;
  maxBytes: number;
  timeoutMs: number;
  /** A cached file older than this is fetched again. */
  maxAgeMs: number;
  /** Disk budget of the cache: beyond it the oldest files go (URLs come from callback servers, which could send many). */
  cacheMaxBytes: number;
  allowPrivate: boolean;
  /** An MP3's decoded audio is cut after this long; default 600 s. */
  mp3MaxSeconds?: number;
  /** Longest an MP3 may take to decode; default 30 s. */
  mp3DecodeTimeoutMs?: number;
  logger?: Logger;
}

export class AudioFetchError extends Error {
  override name = 'AudioFetchError';
}

export class CachingAudioFetcher implements AudioFetcher {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly opts: AudioFetcherOptions) {}

  fetch(url: string, signal: AbortSignal): Promise<string> {
    const key = createHash('sha256').update(url).digest('hex');
    let p = this.inflight.get(key);
    if (!p) {
      // Not tied to one caller's signal: another call may be waiting for the same file.
      p = this.load(url, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return abortable(p, signal);
  }

  private async load(url: string, key: string): Promise<string> {
    const path = join(this.opts.dir, `${key}.wav`);
    const cached = await stat(path).catch(() => undefined);
    if (cached && Date.now() - cached.mtimeMs < this.opts.maxAgeMs) return path;
    const res = await flowHttp(
      { method: 'GET', url },
      { timeoutMs: this.opts.timeoutMs, maxBytes: this.opts.maxBytes, allowPrivate: this.opts.allowPrivate },
    );
    if (res.status < 200 || res.status > 299) throw new FlowHttpError(`audio ${url}: HTTP ${res.status}`, res.status);
    const body = looksLikeMp3(res.body) ? await this.mp3ToWav(url, res.body) : res.body;
    await mkdir(this.opts.dir, { recursive: true });
    const tmp = join(this.opts.dir, `.${key}.${randomUUID()}.tmp`);
    try {
      await writeFile(tmp, body);
      try {
        readWav(tmp);
      } catch (err) {
        throw new AudioFetchError(`audio ${url}: not a playable WAV (${(err as Error).message.replace(tmp, 'file')})`);
      }
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
    this.opts.logger?.debug({ url, bytes: res.body.length }, 'call flow: audio cached');
    await this.prune(path).catch((err: unknown) => this.opts.logger?.warn({ err }, 'call flow: audio cache prune failed'));
    return path;
  }

  private async mp3ToWav(url: string, mp3: Buffer): Promise<Buffer> {
    const started = performance.now();
    try {
      const mp3Audio = await decodeMp3(mp3, {
        maxSeconds: this.opts.mp3MaxSeconds ?? 600,
        timeoutMs: this.opts.mp3DecodeTimeoutMs ?? 30_000,
      });
      const { seconds, sampleRate, truncated } = mp3Audio;
      const decodeMs = Math.round(performance.now() - started);
      this.opts.logger?.debug({ url, seconds, sampleRate, decodeMs }, 'call flow: MP3 decoded');
      if (truncated) this.opts.logger?.warn({ url, seconds }, 'call flow: MP3 longer than the limit, cut short');
      return mp3Audio.wav;
    } catch (err) {
      throw new AudioFetchError(`audio ${url}: ${(err as Error).message}`);
    }
  }

  /** Deletes the oldest cached files while the cache is over budget (never the one just fetched). */
  private async prune(keep: string): Promise<void> {
    const names = (await readdir(this.opts.dir)).filter((n) => n.endsWith('.wav'));
    const files = await Promise.all(
      names.map(async (n) => {
        const p = join(this.opts.dir, n);
        const st = await stat(p).catch(() => undefined);
        return { p, size: st?.size ?? 0, mtime: st?.mtimeMs ?? 0 };
      }),
    );
    let total = files.reduce((a, f) => a + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= this.opts.cacheMaxBytes) break;
      if (f.p === keep) continue;
      await rm(f.p, { force: true });
      total -= f.size;
    }
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
