/**
 * A call answer (`callJson`'s shape) written as JSON text field by field. `GET /calls` answers 50
 * calls a page, and a writer that knows the shape spends far less than `JSON.stringify` walking
 * each object; the text is the same, byte for byte (test/api/call-text.test.ts).
 */
import type { CallJson } from './routers/calls.js';

// What JSON.stringify would escape: quotes, backslashes, control characters, lone surrogates
// (a string holding a surrogate at all takes the slow path; it is rare in call fields).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(s: string | null): string {
  if (s === null) return 'null';
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function num(n: number | null): string {
  // JSON.stringify writes NaN and the infinities as null.
  return n === null || !Number.isFinite(n) ? 'null' : String(n);
}

export function callText(c: CallJson): string {
  return `{"id":${num(c.id)},"phone_call_id":${num(c.phone_call_id)},"telephony_ref":${str(c.telephony_ref)},"status":${str(c.status)},"direction":${str(c.direction)},"from":${str(c.from)},"to":${str(c.to)},"sip_status":${num(c.sip_status)},"reason":${str(c.reason)},"created_at":${str(c.created_at)},"answered_at":${str(c.answered_at)},"ended_at":${str(c.ended_at)},"duration":${num(c.duration)},"recording":${c.recording},"enable_recording":${c.enable_recording},"enable_transcription":${c.enable_transcription},"enable_analysis":${c.enable_analysis},"legs":${c.legs.length === 0 ? '[]' : JSON.stringify(c.legs)}}`;
}

/** `GET /calls`'s answer. */
export function callPageText(p: { calls: CallJson[]; page: number; per_page: number; has_more: boolean }): string {
  let calls = '';
  for (let i = 0; i < p.calls.length; i++) calls += (i ? ',' : '') + callText(p.calls[i]!);
  return `{"calls":[${calls}],"page":${num(p.page)},"per_page":${num(p.per_page)},"has_more":${p.has_more}}`;
}

/** `POST /calls/:id/hangup`'s answer. */
export function hangupText(h: { status: 'success'; phone_call_id: number; call_status: string; call: CallJson }): string {
  return `{"status":${str(h.status)},"phone_call_id":${num(h.phone_call_id)},"call_status":${str(h.call_status)},"call":${callText(h.call)}}`;
}

/**
 * One call as `callText` writes it, straight from a stored row of `LISTING_COLUMNS` (the list's
 * 50 rows cost no `CallRecord` or `CallJson` each). `legs` is spliced as stored: the store keeps it
 * as JSON.stringify wrote it (`CallRepository.setLegs`).
 */
export function callRowText(a: readonly unknown[]): string {
  const id = num(a[0] as number);
  return `{"id":${id},"phone_call_id":${id},"telephony_ref":${str(a[1] as string | null)},"status":${str(a[2] as string)},"direction":${str(a[3] as string)},"from":${str(a[4] as string | null)},"to":${str(a[5] as string | null)},"sip_status":${num(a[6] as number | null)},"reason":${str(a[7] as string | null)},"created_at":${str(a[8] as string)},"answered_at":${str(a[9] as string | null)},"ended_at":${str(a[10] as string | null)},"duration":${num(a[11] as number | null)},"recording":${a[12] !== null},"enable_recording":${a[13] === 1},"enable_transcription":${a[14] === 1},"enable_analysis":${a[15] === 1},"legs":${a[16] as string}}`;
}

/** `GET /calls`'s answer from the store's listing rows (see `callRowText`). */
export function callRowsPageText(p: {
  rows: readonly (readonly unknown[])[];
  page: number;
  per_page: number;
  has_more: boolean;
}): string {
  let calls = '';
  for (let i = 0; i < p.rows.length; i++) calls += (i ? ',' : '') + callRowText(p.rows[i]!);
  return `{"calls":[${calls}],"page":${num(p.page)},"per_page":${num(p.per_page)},"has_more":${p.has_more}}`;
}
