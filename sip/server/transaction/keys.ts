/**
 * Transaction matching (RFC 3261 §17.1.3, §17.2.3): server transactions by top-Via branch, sent-by and
 * method (ACK matches the INVITE); client transactions by branch and CSeq method.
 */
import { splitHeaderList, type SipMessage } from '../message.js';

export interface TopVia {
  transport: string;
  sentBy: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

/**
 * The last top Via parsed: one request is keyed, answered and routed in turn, each asking again,
 * and parsing it once per message instead of three times showed in the call-rate profile. The
 * result is shared, so callers must not change it.
 */
let lastViaValue: string | undefined;
let lastVia: TopVia | undefined;

export function topVia(msg: SipMessage): Readonly<TopVia> | undefined {
  const line = msg.get('via');
  if (line === undefined) return undefined;
  if (line === lastViaValue) return lastVia;
  const v = line.includes(',') ? splitHeaderList(line)[0] : line.trim();
  const parsed = v ? parseTopVia(v) : undefined;
  lastViaValue = line;
  lastVia = parsed;
  return parsed;
}

function parseTopVia(v: string): TopVia | undefined {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)$/i.exec(v);
  if (!m) return undefined;
  const params: Record<string, string | null> = {};
  for (const p of m[3]!.split(';')) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    if (eq < 0) params[t.toLowerCase()] = null;
    else params[t.slice(0, eq).trim().toLowerCase()] = t.slice(eq + 1).trim();
  }
  const sentBy = m[2]!;
  const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(sentBy);
  return { transport: m[1]!.toUpperCase(), sentBy, host: hp?.[1] ?? sentBy, port: hp?.[2] ? Number(hp[2]) : undefined, params };
}

function cseqMethod(msg: SipMessage): string {
  return (msg.get('cseq') ?? '').trim().split(/\s+/)[1]?.toUpperCase() ?? '';
}

/** Key of the server transaction a request belongs to; undefined when the Via has no RFC 3261 branch. */
export function serverKey(method: string, msg: SipMessage): string | undefined {
  const via = topVia(msg);
  const branch = via?.params['branch'];
  if (!via || !branch || !branch.startsWith('z9hG4bK')) return undefined;
  const m = method === 'ACK' ? 'INVITE' : method;
  return `${branch}|${via.sentBy.toLowerCase()}|${m}`;
}

export function clientKey(msg: SipMessage): string | undefined {
  const branch = topVia(msg)?.params['branch'];
  if (!branch) return undefined;
  return `${branch}|${cseqMethod(msg)}`;
}

export interface UriTarget {
  host: string;
  port?: number;
  transport?: string;
  secure: boolean;
}

/** Host, port and transport parameter of a SIP URI (or of the URI inside a name-addr). */
export function uriTarget(uri: string): UriTarget | undefined {
  const lt = uri.indexOf('<');
  const u = lt >= 0 ? uri.slice(lt + 1, uri.indexOf('>', lt) < 0 ? undefined : uri.indexOf('>', lt)) : uri;
  const m = /^(sips?):(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?([^?]*)/i.exec(u.trim());
  if (!m) return undefined;
  const t = /;\s*transport=([a-z]+)/i.exec(m[4] ?? '');
  return {
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port: m[3] ? Number(m[3]) : undefined,
    transport: t?.[1]?.toLowerCase(),
    secure: m[1]!.toLowerCase() === 'sips',
  };
}
