/**
 * Identifiers the server generates, in the shapes the real drachtio-server uses (docs/drachtio-protocol.md §4.3)
 * so that applications and log readers see familiar values.
 */
import { randomBytes } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// one large crypto read serves many ids: per-id randomBytes calls showed up in the call-rate profile
let pool = Buffer.alloc(0);
let poolPos = 0;
function randomByte(): number {
  if (poolPos >= pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  return pool[poolPos++]!;
}

/**
 * Ids are written into this scratch buffer and decoded once: a string built with `+=` (or node's
 * randomUUID, which concatenates hex pairs) is a chain of a dozen cons-string objects, and ids live
 * as long as their transaction or dialog, so at hundreds of calls a second those chains were a large
 * share of the old generation the garbage collector has to mark.
 */
const scratch = Buffer.alloc(64);
const ALNUM_CODES = Buffer.from(ALNUM, 'latin1');
const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');

function randomAlnum(n: number, prefix = ''): string {
  let at = scratch.write(prefix, 0, 'latin1');
  for (let i = 0; i < n; i++) {
    let b = randomByte();
    // 248 = 4*62 keeps the modulo unbiased
    while (b >= 248) b = randomByte();
    scratch[at++] = ALNUM_CODES[b % 62]!;
  }
  return scratch.toString('latin1', 0, at);
}

/** RFC 9562 version 4 layout, lowercase, from the shared random pool. */
function randomUuid(prefix = ''): string {
  let at = scratch.write(prefix, 0, 'latin1');
  for (let i = 0; i < 16; i++) {
    let b = randomByte();
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) scratch[at++] = 0x2d;
    scratch[at++] = HEX_CODES[b >> 4]!;
    scratch[at++] = HEX_CODES[b & 15]!;
  }
  return scratch.toString('latin1', 0, at);
}

/** Lowercase UUID v4: message ids and transaction ids on the admin connection. */
export function newUuid(): string {
  return randomUuid();
}

/** 13-character From/To tag. */
export function newTag(): string {
  return randomAlnum(13);
}

/** Via branch for requests the server originates as a UA. */
export function newBranch(): string {
  return randomAlnum(13, 'z9hG4bK');
}

/** Via branch for a request forwarded statefully by the proxy. */
export function newProxyBranch(): string {
  return randomUuid('z9hG4bK');
}

/** Via branch for in-dialog requests forwarded statelessly by the proxy. */
export function newStatelessBranch(): string {
  return randomAlnum(26, 'z9hG4bK.');
}

const NODE = randomBytes(6).toString('hex');
let clockSeq = randomBytes(2).readUInt16BE(0) & 0x3fff;
let lastTicks = 0n;

/** Call-ID in the time-based (v1-like) layout the real server uses: time fields then a per-process node. */
export function newCallId(): string {
  // 100 ns ticks since 1582-10-15, as UUID v1 does
  let ticks = BigInt(Date.now()) * 10000n + 122192928000000000n;
  if (ticks <= lastTicks) {
    ticks = lastTicks + 1n;
  }
  lastTicks = ticks;
  const low = (ticks & 0xffffffffn).toString(16).padStart(8, '0');
  const mid = ((ticks >> 32n) & 0xffffn).toString(16).padStart(4, '0');
  const hi = (((ticks >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, '0');
  clockSeq = (clockSeq + 1) & 0x3fff;
  const seq = (clockSeq | 0x8000).toString(16).padStart(4, '0');
  // decoded from bytes so the id is one flat string, not a chain (see `scratch`)
  const at = scratch.write(`${low}-${mid}-${hi}-${seq}-${NODE}`, 0, 'latin1');
  return scratch.toString('latin1', 0, at);
}

/** Initial CSeq for a UAC dialog: time-derived so it grows across restarts, as observed. */
export function initialCSeq(): number {
  return (Math.floor(Date.now() / 1000) % 1_000_000_000) % 2 ** 31;
}

/** `HH:MM:SS.uuuuuu`, the wall-clock time-of-day carried in protocol frames. */
export function timeOfDay(d: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const micros = d.getUTCMilliseconds() * 1000 + Math.floor((performance.now() % 1) * 1000);
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(micros, 6)}`;
}
