/**
 * PLAY's audio: fetched once per URL into a cache directory (under DATA_DIR), checked to be a WAV
 * the media server can play, then played from disk. MP3 is refused with a clear error: no MP3
 * decoder is installed (see README). Concurrent calls asking for the same URL share one download.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { readWav } from '../../media/wav.js';
import type { AudioFetcher } from './flow-context.js';
import { FlowHttpError, flowHttp } from './flow-http.js';

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
    const body = res.body;
    if (isMp3(body)) throw new AudioFetchError(`audio ${url}: MP3 is not supported (no MP3 decoder installed); use WAV`);
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
    this.opts.logger?.debug({ url, bytes: body.length }, 'call flow: audio cached');
    await this.prune(path).catch((err: unknown) => this.opts.logger?.warn({ err }, 'call flow: audio cache prune failed'));
    return path;
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

function isMp3(b: Buffer): boolean {
  if (b.length >= 3 && b.toString('latin1', 0, 3) === 'ID3') return true;
  return b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
