/**
 * `npm run sip-server -- --sip udp:127.0.0.1:5060 --admin 127.0.0.1:9022 --secret S`: the SIP server
 * alone, as the drachtio binary would run, for any drachtio-srf application to connect to.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { SipServer } from './sip-server.js';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write(
    'usage: sip-server --sip udp:HOST:PORT [--sip tcp:HOST:PORT ...] --admin HOST:PORT --secret S\n' +
      '       [--external-address ADDR] [--tls-cert FILE --tls-key FILE] [--dns IP[:PORT] ...] [--log-level info]\n' +
      '       [--udp-rcvbuf BYTES] [--udp-sndbuf BYTES] [--header-timeout MS] [--idle-timeout MS]\n' +
      '       [--max-connections-per-source N] [--ws-origin ORIGIN ...] [--max-transactions-per-source N]\n' +
      '       (the log level also comes from LOG_LEVEL; --log-level wins)\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) usage(`missing value for --${name}`);
    (out[name] ??= []).push(value);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sip = args['sip'] ?? [];
  const adminArg = args['admin']?.[0];
  const secret = args['secret']?.[0];
  if (sip.length === 0 || !adminArg || !secret) usage();
  const m = /^(.*):(\d+)$/.exec(adminArg);
  if (!m) usage(`bad --admin ${adminArg}`);
  const logger = pino({ level: args['log-level']?.[0] ?? process.env['LOG_LEVEL'] ?? 'info' });
  const num = (name: string): number | undefined => {
    const v = args[name]?.[0];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) usage(`--${name} takes a non-negative integer`);
    return Number(v);
  };
  const connections = {
    ...(num('header-timeout') !== undefined ? { headerTimeoutMs: num('header-timeout') } : {}),
    ...(num('idle-timeout') !== undefined ? { idleTimeoutMs: num('idle-timeout') } : {}),
    ...(num('max-connections-per-source') !== undefined ? { maxPerSource: num('max-connections-per-source') } : {}),
    ...(args['ws-origin'] ? { wsAllowedOrigins: args['ws-origin'] } : {}),
  };
  const cert = args['tls-cert']?.[0];
  const key = args['tls-key']?.[0];
  const server = new SipServer({
    listen: sip,
    admin: { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) },
    secret,
    externalAddress: args['external-address']?.[0],
    dnsServers: args['dns'],
    udpReceiveBufferBytes: num('udp-rcvbuf'),
    udpSendBufferBytes: num('udp-sndbuf'),
    connections,
    maxTransactionsPerSource: num('max-transactions-per-source'),
    tls: cert && key ? { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') } : undefined,
    logger,
  });
  const addr = await server.start();
  logger.info({ admin: addr.admin, sip: addr.sip }, 'ready');
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`sip-server: ${err.message}\n`);
  process.exit(1);
});
