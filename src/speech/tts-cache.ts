/**
 * Caches synthesized prompts by (provider, its settings, voice, text): an LRU in memory bounded in bytes, and
 * optionally WAV files on disk (bounded too, oldest removed first), so a prompt every caller hears
 * is synthesized once. A cache hit yields the whole prompt as one chunk.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type PcmChunk, type SynthesisOptions, type TtsProvider, checkText } from './tts.js';
import { decodeWav, encodeWav } from './wav.js';

export interface TtsCacheOptions {
  /** Memory budget for cached audio (bytes of PCM). */
  memoryBytes: number;
  /** Directory for the disk cache (e.g. DATA_DIR/tts-cache); none = memory only. */
  diskDir?: string;
  /** Disk budget; beyond it the least recently written files are deleted. */
  diskBytes?: number;
  logger?: Logger;
}

export function ttsCacheKey(provider: string, scope: string, voice: string, text: string): string {
  // JSON array: no separator collisions between fields.
  return createHash('sha256')
    .update(JSON.stringify([provider, scope, voice, text]))
    .digest('hex');
}

export class CachedTtsProvider implements TtsProvider {
  readonly name: string;
  readonly defaultVoice: string;
  readonly cacheScope: string;
  private readonly memory = new Map<string, PcmChunk>();
  private memoryUsed = 0;
  private diskUsed = 0;
  private diskFiles = new Map<string, number>();
  /** Hits and misses so far (metrics and tests). */
  readonly stats = { memoryHits: 0, diskHits: 0, misses: 0 };

  constructor(
    private readonly inner: TtsProvider,
    private readonly options: TtsCacheOptions,
  ) {
    this.name = inner.name;
    this.defaultVoice = inner.defaultVoice;
    this.cacheScope = inner.cacheScope;
    if (options.diskDir) this.scanDisk(options.diskDir);
  }

  async *synthesize(text: string, options: SynthesisOptions = {}): AsyncGenerator<PcmChunk> {
    checkText(text);
    const voice = options.voice ?? this.inner.defaultVoice;
    const key = ttsCacheKey(this.inner.name, this.inner.cacheScope, voice, text.trim());
    const hit = await this.lookup(key);
    if (hit) {
      // A copy: a consumer that edits samples in place must not change the cached prompt.
      yield { samples: hit.samples.slice(), sampleRate: hit.sampleRate };
      return;
    }
    this.stats.misses++;
    const parts: Int16Array[] = [];
    let rate = 0;
    let uniformRate = true;
    for await (const chunk of this.inner.synthesize(text, options)) {
      if (rate && chunk.sampleRate !== rate) uniformRate = false;
      rate = chunk.sampleRate;
      parts.push(chunk.samples.slice());
      yield chunk;
    }
    // Only a prompt synthesized to the end is cached; a hung-up caller's half prompt is not.
    if (!rate || !uniformRate) return;
    const whole = { samples: concat(parts), sampleRate: rate };
    this.remember(key, whole);
    if (this.options.diskDir)
      await this.toDisk(key, whole).catch((err) => this.options.logger?.warn({ err }, 'tts disk cache write failed'));
  }

  private remember(key: string, chunk: PcmChunk): void {
    const bytes = chunk.samples.byteLength;
    if (bytes > this.options.memoryBytes) return;
    this.memory.delete(key);
    this.memory.set(key, chunk);
    this.memoryUsed += bytes;
    for (const [k, v] of this.memory) {
      if (this.memoryUsed <= this.options.memoryBytes) break;
      this.memory.delete(k);
      this.memoryUsed -= v.samples.byteLength;
    }
  }

  private async lookup(key: string): Promise<PcmChunk | undefined> {
    const mem = this.memory.get(key);
    if (mem) {
      // Refresh LRU order.
      this.memory.delete(key);
      this.memory.set(key, mem);
      this.stats.memoryHits++;
      return mem;
    }
    if (!this.options.diskDir || !this.diskFiles.has(key)) return undefined;
    try {
      const pcm = decodeWav(await readFile(join(this.options.diskDir, `${key}.wav`)));
      this.stats.diskHits++;
      this.remember(key, pcm);
      return pcm;
    } catch {
      return undefined;
    }
  }

  private async toDisk(key: string, chunk: PcmChunk): Promise<void> {
    const dir = this.options.diskDir as string;
    const file = join(dir, `${key}.wav`);
    const tmp = `${file}.${process.pid}.tmp`;
    const wav = encodeWav(chunk.samples, chunk.sampleRate);
    // Written aside and renamed, so a reader never sees half a file.
    await writeFile(tmp, wav);
    await rename(tmp, file);
    this.diskUsed += wav.length - (this.diskFiles.get(key) ?? 0);
    this.diskFiles.delete(key);
    this.diskFiles.set(key, wav.length);
    const limit = this.options.diskBytes ?? Number.POSITIVE_INFINITY;
    for (const [k, size] of this.diskFiles) {
      if (this.diskUsed <= limit) break;
      this.diskFiles.delete(k);
      this.diskUsed -= size;
      await unlink(join(dir, `${k}.wav`)).catch(() => {});
    }
  }

  private scanDisk(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const files = readdirSync(dir)
      .filter((f) => /^[0-9a-f]{64}\.wav$/.test(f))
      .map((f) => ({ key: f.slice(0, 64), st: statSync(join(dir, f)) }))
      .sort((a, b) => a.st.mtimeMs - b.st.mtimeMs);
    for (const f of files) {
      this.diskFiles.set(f.key, f.st.size);
      this.diskUsed += f.st.size;
    }
  }

  async warmUp(): Promise<void> {
    await this.inner.warmUp?.();
  }

  close(): Promise<void> {
    this.memory.clear();
    this.memoryUsed = 0;
    return this.inner.close();
  }
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
