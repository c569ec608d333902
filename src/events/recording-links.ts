/**
 * Signed, expiring recording URLs: `<publicUrl>/recordings/<callId>.wav?exp=<unix>&sig=<hex>` with
 * sig = HMAC-SHA256(server secret, "<callId>.<exp>"). Anyone with the link may fetch the WAV
 * until it expires; nobody can forge or extend one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export class RecordingLinks {
  constructor(private readonly opts: { publicUrl: string; secret: string; ttlSeconds: number }) {}

  url(callId: number, now = Date.now()): string {
    const exp = Math.floor(now / 1000) + this.opts.ttlSeconds;
    return `${this.opts.publicUrl.replace(/\/+$/, '')}/recordings/${callId}.wav?exp=${exp}&sig=${this.sig(callId, exp)}`;
  }

  /** True when `sig` is ours for this call and `exp` has not passed. */
  verify(callId: number, exp: string | undefined, sig: string | undefined, now = Date.now()): boolean {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return false;
    const expected = Buffer.from(this.sig(callId, Number(exp)), 'hex');
    const ok = timingSafeEqual(expected, Buffer.from(sig, 'hex'));
    return ok && Number(exp) * 1000 > now;
  }

  private sig(callId: number, exp: number): string {
    return createHmac('sha256', this.opts.secret).update(`${callId}.${exp}`).digest('hex');
  }
}

/** The server's link-signing key, made once and kept beside the database so links survive a restart. */
export function loadOrCreateLinkSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  return secret;
}
