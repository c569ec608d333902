/** Listen addresses as written in config and on the command line: `transport:host:port`. */

import { SipParseError } from '../grammar.js';

export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface ListenSpec {
  transport: TransportName;
  host: string;
  port: number;
}

const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** "udp:127.0.0.1:5060", "ws:[::1]:8088"; the host is returned without brackets. */
export function parseListenSpec(s: string): ListenSpec {
  const m = /^([a-z]+):(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(\d{1,5})$/i.exec(s.trim());
  if (!m) throw new SipParseError(`invalid listen address "${s}" (expected transport:host:port)`);
  const transport = m[1]!.toLowerCase() as TransportName;
  if (!TRANSPORTS.includes(transport)) throw new SipParseError(`unknown transport "${m[1]}" in "${s}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new SipParseError(`port out of range in "${s}"`);
  return { transport, host: bareHost(m[2]!), port };
}

/** `[::1]` -> `::1`, `::ffff:1.2.3.4` -> `1.2.3.4`; other hosts unchanged. */
export function bareHost(host: string): string {
  let h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(h)) h = h.slice(7);
  return h;
}

/** Key for finding a live stream connection to a remote address. */
export function remoteKey(transport: string, host: string, port: number): string {
  return `${transport}|${bareHost(host).toLowerCase()}|${port}`;
}
