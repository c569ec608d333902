/**
 * The SIP message model shared by the parser, the transports, the transaction layer and the
 * drachtio protocol layer. Headers keep the order and spelling they arrived with, so that the
 * text delivered to the application is the wire text; lookups are case-insensitive and resolve
 * compact forms (RFC 3261 §7.3.3).
 */

export interface SipHeader {
  /** Name as received or as set (not canonicalised here). */
  name: string;
  /** Raw value, trimmed, folding already unfolded to single spaces. */
  value: string;
}

const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

/**
 * Header names seen are few; remembering their normal form spares a lowercase string per header per
 * lookup, which at hundreds of calls a second was a steady share of the garbage collector's work.
 * Bounded, so a peer sending random names cannot grow it.
 */
const NORMAL = new Map<string, string>();
const NORMAL_MAX = 512;

/** Lowercase long form of a header name: `v` -> `via`, `Call-ID` -> `call-id`. */
export function normalizeHeaderName(name: string): string {
  const hit = NORMAL.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const n = COMPACT[lower] ?? lower;
  if (NORMAL.size >= NORMAL_MAX) NORMAL.clear();
  NORMAL.set(name, n);
  return n;
}

/**
 * Whether header `name` is the one whose normal form is `normal`. Only a name of the same length or a
 * one-letter compact form can be: the length test skips the name lookup for nearly every header.
 */
function sameHeader(name: string, normal: string): boolean {
  if (name.length !== normal.length && name.length !== 1) return false;
  return normalizeHeaderName(name) === normal;
}

/** Headers whose values may be comma-joined lists (RFC 3261 §7.3.1); others never split. */
const LIST_HEADERS = new Set([
  'via',
  'route',
  'record-route',
  'contact',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'allow-events',
  'content-encoding',
]);

/** Split a list header value on commas outside quotes and angle brackets. */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === ',' && depthAngle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** Zero bytes cannot be written to, so every bodiless message can share one. */
const NO_BODY = Buffer.alloc(0);

export abstract class SipMessage {
  headers: SipHeader[] = [];
  body: Buffer = NO_BODY;

  abstract get isRequest(): boolean;

  /** First value of a header (the whole line, not list-split), or undefined. */
  get(name: string): string | undefined {
    const n = normalizeHeaderName(name);
    for (const h of this.headers) if (sameHeader(h.name, n)) return h.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every value of a header across all its lines; list headers are split on commas. */
  getAll(name: string): string[] {
    const n = normalizeHeaderName(name);
    const out: string[] = [];
    for (const h of this.headers) {
      if (!sameHeader(h.name, n)) continue;
      if (LIST_HEADERS.has(n)) out.push(...splitHeaderList(h.value));
      else out.push(h.value);
    }
    return out;
  }

  /** Replace every line of `name` by one line, kept at the position of the first. */
  set(name: string, value: string): this {
    const n = normalizeHeaderName(name);
    const idx = this.headers.findIndex((h) => sameHeader(h.name, n));
    this.remove(name);
    if (idx < 0) this.headers.push({ name, value });
    else this.headers.splice(Math.min(idx, this.headers.length), 0, { name, value });
    return this;
  }

  append(name: string, value: string): this {
    this.headers.push({ name, value });
    return this;
  }

  /** Insert before the first line of the same header (a new top Via, Record-Route). */
  prepend(name: string, value: string): this {
    const n = normalizeHeaderName(name);
    const idx = this.headers.findIndex((h) => sameHeader(h.name, n));
    this.headers.splice(idx < 0 ? 0 : idx, 0, { name, value });
    return this;
  }

  remove(name: string): this {
    const n = normalizeHeaderName(name);
    this.headers = this.headers.filter((h) => !sameHeader(h.name, n));
    return this;
  }

  /** Remove the first value of a list header (the top Via); drops the line when it empties. */
  removeFirstValue(name: string): string | undefined {
    const n = normalizeHeaderName(name);
    const idx = this.headers.findIndex((h) => sameHeader(h.name, n));
    if (idx < 0) return undefined;
    const values = splitHeaderList(this.headers[idx]!.value);
    const first = values.shift();
    if (values.length === 0) this.headers.splice(idx, 1);
    else this.headers[idx] = { name: this.headers[idx]!.name, value: values.join(', ') };
    return first;
  }

  get callId(): string {
    return this.get('call-id') ?? '';
  }

  abstract clone(): SipMessage;
}

export class SipRequest extends SipMessage {
  constructor(
    public method: string,
    public uri: string,
  ) {
    super();
  }
  get isRequest(): boolean {
    return true;
  }
  clone(): SipRequest {
    const c = new SipRequest(this.method, this.uri);
    c.headers = this.headers.map((h) => ({ ...h }));
    c.body = this.body;
    return c;
  }
}

export class SipResponse extends SipMessage {
  constructor(
    public status: number,
    public reason: string,
  ) {
    super();
  }
  get isRequest(): boolean {
    return false;
  }
  clone(): SipResponse {
    const c = new SipResponse(this.status, this.reason);
    c.headers = this.headers.map((h) => ({ ...h }));
    c.body = this.body;
    return c;
  }
}

/** The headers transaction and dialog matching read after the final response (RFC 3261 §17.1.3, §17.2.3, §9.1). */
const KEY_HEADERS = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'route']);

/**
 * A copy of `req` with only its key headers and no body. A transaction that outlives its final
 * response (32 s over UDP) keeps this instead of the whole parsed request, so the old generation of
 * the heap does not fill with bodies and headers nobody reads again.
 */
export function keyHeadersOnly(req: SipRequest): SipRequest {
  const c = new SipRequest(req.method, req.uri);
  for (const h of req.headers) if (KEY_HEADERS.has(normalizeHeaderName(h.name))) c.headers.push(h);
  return c;
}

/** Where a message came from or goes to. */
export interface TransportAddress {
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  host: string;
  port: number;
}
