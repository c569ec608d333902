/**
 * Shared pieces of the platform tests: a throw-away data directory, a self-signed certificate
 * made by openssl, free loopback ports, an out-of-dialog OPTIONS request, and the in-process
 * platform with its teardown.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { startPlatform, type Platform } from '../../src/main.js';
import { loadConfig, mergeConfig } from '../../config/load.js';

export interface TeardownHost {
  teardown(fn: () => void | Promise<void>): void;
}

export function tempDir(t: TeardownHost, prefix = 'sb-platform-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A self-signed certificate for 127.0.0.1 written as PEM files into `dir`. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** A TCP port nobody listens on right now (the kernel's pick, released at once). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** An RTP range of its own so test files running in parallel rarely meet. */
export function rtpRange(): { portMin: number; portMax: number } {
  const base = 30000 + 2 * Math.floor(Math.random() * 12000);
  return { portMin: base, portMax: base + 99 };
}

/** Out-of-dialog OPTIONS as a phone sends it over `transport` (TLS, WSS, UDP, TCP). */
export function optionsRequest(transport: string, local: string, target: string): string {
  const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
  return [
    `OPTIONS sip:${target} SIP/2.0`,
    `Via: SIP/2.0/${transport.toUpperCase()} ${local};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${local}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${target}>`,
    `Call-ID: ${randomBytes(8).toString('hex')}@test`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:probe@${local};transport=${transport.toLowerCase()}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The status line's code of the first SIP response in `text`, if one arrived whole. */
export function responseStatus(text: string): number | undefined {
  const m = /^SIP\/2\.0 (\d{3}) [^\r\n]*\r\n[\s\S]*?\r\n\r\n/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The platform in this process on loopback with free ports; stopped on teardown. */
export async function startLocalPlatform(t: TeardownHost, config: Record<string, unknown> = {}): Promise<Platform> {
  const dataDir = tempDir(t, 'sb-platform-data-');
  const base = {
    logLevel: 'silent',
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    sip: { listen: ['udp:127.0.0.1:0'] },
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', ...rtpRange() },
    media: { workers: 1 },
    // Tests that speak start flite on their first sentence; the rest skip its start-up CPU.
    speech: { tts: { warmUp: false } },
  };
  const logger = pino({ level: process.env.SB_TEST_LOG ?? 'silent' }, pino.destination(2));
  const platform = await startPlatform(loadConfig({}, mergeConfig(base, config)), logger);
  t.teardown(() => platform.stop());
  return platform;
}
