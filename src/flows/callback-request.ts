/**
 * The callback request Switchboard sends to a flow's callback URL (`init_call` when a call starts,
 * then after each batch of actions, and a final one when the call ends), and its encodings: JSON,
 * form post, query string (GET) and XML.
 *
 * Nested values (`key_presses`, `recordings`, `session_data`, `custom_data`) are sent in form and
 * query encodings in bracket notation, `key_presses[0][name]=collectName&session_data[age]=34`:
 * PHP, Rails, Express (`extended`) and qs read that back into the same nested structure, where a
 * JSON string would need a second parse on the server. null is sent as an empty value; empty arrays
 * and objects are left out.
 */
import { z } from 'zod';

const keyPress = z.object({ name: z.string(), digits: z.string() });
const recording = z.object({ name: z.string(), id: z.string() });
const json = z.record(z.string(), z.unknown());
const dial = z.object({
  name: z.string(),
  status: z.enum(['answered', 'no-answer', 'busy', 'failed', 'canceled']),
  duration: z.number(),
  call_id: z.string().nullable(),
  no: z.string(),
});

export const callbackRequestSchema = z.object({
  /** `init_call` for the first request of a call; later ones say why they were sent. */
  type: z.string(),
  app_id: z.string(),
  subaccount_id: z.string(),
  call_id: z.string(),
  start_time: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  /** ms since the call started. */
  duration: z.number(),
  status: z.string(),
  detection: z.string().nullable(),
  caller_no: z.string(),
  caller_no_city: z.string().nullable(),
  caller_no_region: z.string().nullable(),
  caller_no_country: z.string().nullable(),
  caller_no_timezone: z.string().nullable(),
  api_no: z.string(),
  api_no_city: z.string().nullable(),
  api_no_region: z.string().nullable(),
  api_no_country: z.string().nullable(),
  api_no_timezone: z.string().nullable(),
  key_presses: z.array(keyPress),
  recordings: z.array(recording),
  /** Results of the call's DIAL actions (absent in requests built before any could run). */
  dials: z.array(dial).optional(),
  custom_data: json.nullable(),
  session_data: json.nullable(),
  end_time: z.string().nullable(),
  sip_domain: z.string().nullable(),
  sip_forwarded_for: z.string().nullable(),
});

export type CallbackRequest = z.infer<typeof callbackRequestSchema>;
export type CallbackFormat = 'json' | 'form' | 'query' | 'xml';

export interface EncodedCallbackRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

type Scalar = string | number | boolean | null;
const MAX_FIELD_DEPTH = 8;

/** Flattens nested data into bracket-notation fields. */
export function toFormFields(value: unknown, prefix = '', depth = 0, out: [string, string][] = []): [string, string][] {
  if (value === null || value === undefined) {
    if (prefix) out.push([prefix, '']);
  } else if (typeof value === 'object') {
    if (depth >= MAX_FIELD_DEPTH) {
      // Deeper than any sane session data: sent as JSON rather than dropped.
      out.push([prefix, JSON.stringify(value)]);
      return out;
    }
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [k, v] of entries) toFormFields(v, prefix ? `${prefix}[${k}]` : k, depth + 1, out);
  } else if (prefix) {
    out.push([prefix, String(value as Scalar)]);
  }
  return out;
}

function escapeXml(s: string): string {
  return (
    s
      .replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string)
      // Characters XML 1.0 cannot carry at all.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
  );
}

function toXml(name: string, value: unknown, depth: number): string {
  // Element names come from user data in session_data: anything unusual becomes <item key="...">.
  const valid = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name) && !/^xml/i.test(name);
  const open = valid ? `<${name}` : `<item key="${escapeXml(name)}"`;
  const close = valid ? `</${name}>` : '</item>';
  if (value === null || value === undefined) return `${open}/>`;
  if (typeof value !== 'object') return `${open}>${escapeXml(String(value))}${close}`;
  if (depth >= MAX_FIELD_DEPTH) return `${open}>${escapeXml(JSON.stringify(value))}${close}`;
  const inner = Array.isArray(value)
    ? value.map((v) => toXml('item', v, depth + 1)).join('')
    : Object.entries(value)
        .map(([k, v]) => toXml(k, v, depth + 1))
        .join('');
  return `${open}>${inner}${close}`;
}

/**
 * The HTTP request for one callback. `query` is a GET with the fields in the URL (what a static
 * JSON file on a CDN needs); the others are POSTs. Existing query parameters of `url` are kept.
 */
export function encodeCallbackRequest(url: string, format: CallbackFormat, request: CallbackRequest): EncodedCallbackRequest {
  const target = new URL(url);
  switch (format) {
    case 'json':
      return { method: 'POST', url: target.href, headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) };
    case 'form':
      return {
        method: 'POST',
        url: target.href,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(toFormFields(request)).toString(),
      };
    case 'query':
      for (const [k, v] of toFormFields(request)) target.searchParams.append(k, v);
      return { method: 'GET', url: target.href, headers: {} };
    case 'xml':
      return {
        method: 'POST',
        url: target.href,
        headers: { 'content-type': 'application/xml; charset=utf-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?>${toXml('callback', request, 0)}`,
      };
  }
}
