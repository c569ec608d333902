/**
 * `${path}` in prompt text (`Hello, ${sessionData.firstName}`, `${callTime}`) replaced with flow
 * variables. Only paths are read, never evaluated: missing, forbidden or non-scalar values become
 * an empty string (a prompt should not read JSON aloud).
 */
import { type FlowVariables, lookup, parsePath } from './variables.js';

/** Text longer than this after interpolation is cut (variables come from callers and callbacks). */
export const MAX_TEMPLATE_OUTPUT = 65536;

export function renderTemplate(text: string, vars: FlowVariables): string {
  if (typeof text !== 'string') return '';
  let out = '';
  let i = 0;
  while (i < text.length && out.length <= MAX_TEMPLATE_OUTPUT) {
    const open = text.indexOf('${', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    const close = text.indexOf('}', open + 2);
    if (close < 0) {
      // An unterminated `${` is plain text.
      out += text.slice(i);
      break;
    }
    out += text.slice(i, open);
    const raw = text.slice(open + 2, close).trim();
    const segments = parsePath(raw.startsWith('$') ? raw.slice(1) : raw);
    out += segments ? scalarText(lookup(vars, segments)) : '';
    i = close + 1;
  }
  return out.length > MAX_TEMPLATE_OUTPUT ? out.slice(0, MAX_TEMPLATE_OUTPUT) : out;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return String(v);
  return '';
}
