/**
 * DTMF carried in SIP INFO bodies. Two formats are in the wild:
 *  - `application/dtmf-relay` (Cisco style): `Signal=5\r\nDuration=160\r\n`
 *  - `application/dtmf` (RFC 2976 examples, some phones): the bare digit, e.g. `5`
 * Digits are normalised to 0-9 * # A-D; event codes 10/11 map to * and #.
 */

export interface InfoDtmf {
  digit: string;
  durationMs: number;
}

const DEFAULT_DURATION_MS = 100;
const MAX_DURATION_MS = 60_000;

function normaliseDigit(raw: string): string | undefined {
  const d = raw.trim().toUpperCase();
  if (/^[0-9*#A-D]$/.test(d)) return d;
  if (d === '10') return '*';
  if (d === '11') return '#';
  if (/^1[2-5]$/.test(d)) return String.fromCharCode('A'.charCodeAt(0) + Number(d) - 12);
  return undefined;
}

function clampDuration(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DURATION_MS;
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || n <= 0) return DEFAULT_DURATION_MS;
  return Math.min(Math.round(n), MAX_DURATION_MS);
}

/** Parses an INFO body by its Content-Type; undefined if it is not (valid) DTMF. */
export function parseDtmfInfo(contentType: string | undefined, body: string): InfoDtmf | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/dtmf-relay') {
    let signal: string | undefined;
    let duration: string | undefined;
    for (const line of body.split(/\r?\n/)) {
      const m = /^\s*([A-Za-z-]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      if (key === 'signal') signal = m[2];
      else if (key === 'duration') duration = m[2];
    }
    const digit = signal !== undefined ? normaliseDigit(signal) : undefined;
    return digit ? { digit, durationMs: clampDuration(duration) } : undefined;
  }
  if (type === 'application/dtmf') {
    const digit = normaliseDigit(body.trim());
    return digit ? { digit, durationMs: DEFAULT_DURATION_MS } : undefined;
  }
  return undefined;
}

/** Body for sending a digit as `application/dtmf-relay`. */
export function formatDtmfRelay(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${Math.round(durationMs)}\r\n`;
}
