/**
 * The engine's one HTTP client (callbacks and PLAY audio), hardened for URLs that customers type:
 * a whole-request timeout, a cap on the body, redirects never followed (a 3xx is a failure), and
 * unless private targets are allowed, a host that resolves to a loopback, private, link-local or
 * otherwise non-public address is refused, checked on the address actually connected to (so a DNS
 * answer that changes after a check gains nothing).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { isPrivateAddress } from '../events/target-guard.js';

export class FlowHttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FlowHttpError';
  }
}

export interface FlowHttpOptions {
  timeoutMs: number;
  maxBytes: number;
  allowPrivate: boolean;
  signal?: AbortSignal;
}

export interface FlowHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
      if (err) return callback(err, '', 0);
      const bad = allowPrivate ? undefined : addrs.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(new FlowHttpError(`${hostname} resolves to a non-public address (${bad.address})`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: typeof addrs) => void)(null, addrs);
      const first = addrs[0];
      if (!first) return callback(new FlowHttpError(`${hostname} does not resolve`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** One request; resolves with any status (the caller judges it), rejects on network, timeout, size or a refused host. */
export function flowHttp(
  req: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; body?: string },
  opts: FlowHttpOptions,
): Promise<FlowHttpResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.reject(new FlowHttpError('not a valid URL'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new FlowHttpError('only http(s) URLs'));
  if (url.username || url.password) return Promise.reject(new FlowHttpError('credentials in the URL are not allowed'));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address skips the lookup, so it is checked here.
  if (!opts.allowPrivate && isIP(host) && isPrivateAddress(host))
    return Promise.reject(new FlowHttpError(`${host} is not a public address`));
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)])
    : AbortSignal.timeout(opts.timeoutMs);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      url,
      {
        method: req.method,
        headers: {
          'user-agent': 'Switchboard-CallFlow/1',
          ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
          ...req.headers,
        },
        lookup: guardedLookup(opts.allowPrivate),
        signal,
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        // Rejected before destroy(): destroying emits `aborted`, whose rejection must not win.
        if (declared > opts.maxBytes) {
          reject(new FlowHttpError(`response larger than ${opts.maxBytes} bytes`));
          res.destroy();
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > opts.maxBytes) {
            reject(new FlowHttpError(`response larger than ${opts.maxBytes} bytes`));
            res.destroy();
            return;
          }
          parts.push(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', (err) => reject(err));
        res.on('aborted', () => reject(new FlowHttpError('response aborted')));
      },
    );
    r.on('error', (err) =>
      reject(signal.aborted && !opts.signal?.aborted ? new FlowHttpError(`no response within ${opts.timeoutMs} ms`) : err),
    );
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}
