/**
 * Safe lookups in flow variables (session data, native call variables). Variables are plain JSON
 * data from callback servers and callers: a path only ever reads own properties of plain objects and
 * arrays, so no path reaches a prototype, a getter or a function.
 */

export type FlowValue = string | number | boolean | null | undefined | FlowValue[] | { [key: string]: FlowValue };
/** The variables a condition or template can read, e.g. `{ keyPresses: '1', sessionData: {...}, callTime: 1200 }`. */
export type FlowVariables = Readonly<Record<string, FlowValue>>;

/** Names that would lead out of plain data in JavaScript; refused wherever a path is parsed. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

export const SEGMENT = /^(?:[A-Za-z_][A-Za-z0-9_-]*|[0-9]{1,9})$/;
export const MAX_PATH_SEGMENTS = 16;

/** Splits `sessionData.customer.name` into checked segments; null if the path is not a valid one. */
export function parsePath(path: string): string[] | null {
  if (path.length > 512) return null;
  const segments = path.split('.');
  if (segments.length > MAX_PATH_SEGMENTS) return null;
  for (const s of segments) if (!SEGMENT.test(s) || FORBIDDEN_SEGMENTS.has(s)) return null;
  return segments;
}

function isPlainData(v: unknown): v is Record<string, unknown> | unknown[] {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Reads a path; anything missing, forbidden or not plain data reads as undefined. */
export function lookup(vars: FlowVariables, segments: readonly string[]): FlowValue {
  let cur: unknown = vars;
  for (const seg of segments) {
    if (FORBIDDEN_SEGMENTS.has(seg) || !isPlainData(cur)) return undefined;
    if (Array.isArray(cur)) {
      if (!/^[0-9]+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
      continue;
    }
    if (!Object.hasOwn(cur, seg)) return undefined;
    const desc = Object.getOwnPropertyDescriptor(cur, seg);
    // An accessor would run code; plain data has none.
    if (!desc || !('value' in desc)) return undefined;
    cur = desc.value;
  }
  return toFlowValue(cur);
}

function toFlowValue(v: unknown): FlowValue {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return v;
    case 'object':
      return v === null || isPlainData(v) ? (v as FlowValue) : undefined;
    default:
      // Functions, symbols and bigints are not data.
      return undefined;
  }
}
