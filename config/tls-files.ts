/**
 * `sip.tls.cert` and `sip.tls.key` name PEM files; the transports want the PEM text. Read here,
 * once at start-up, so a wrong path stops start-up naming the setting instead of surfacing later
 * as an opaque handshake failure.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

function readPem(setting: string, path: string, label: RegExp): string {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`${setting}: cannot read ${path} (${code})`);
  }
  if (!label.test(text)) throw new ConfigError(`${setting}: ${path} is not a PEM file`);
  return text;
}

/** The PEM text of the configured certificate chain and private key. */
export function readTlsFiles(tls: TlsFiles): TlsFiles {
  return {
    cert: readPem('sip.tls.cert', tls.cert, /-----BEGIN CERTIFICATE-----/),
    key: readPem('sip.tls.key', tls.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/),
  };
}
