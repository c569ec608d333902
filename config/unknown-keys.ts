/**
 * Finds keys the schema does not know, anywhere in a configuration. zod drops them quietly, so a
 * typo (`registar`, `recording.enable`) would turn a feature off without a word; each one is
 * reported with the nearest valid key. Walks the schema itself, so sections added later are
 * covered without being declared strict one by one.
 */
import type { ZodType } from 'zod';

interface Def {
  type: string;
  innerType?: ZodType;
  shape?: Record<string, ZodType>;
  element?: ZodType;
  catchall?: ZodType;
  in?: ZodType;
}

function def(schema: ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Peels optional/default/prefault/nullable (and a pipe's input) down to the schema with a shape. */
function unwrap(schema: ZodType): ZodType {
  let s = schema;
  for (let d = def(s); ; d = def(s)) {
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type))
      s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** Edit distance, for suggesting the key that was probably meant. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export interface UnknownKey {
  path: string;
  nearest?: string;
}

export function findUnknownKeys(schema: ZodType, value: unknown, path = ''): UnknownKey[] {
  const s = unwrap(schema);
  const d = def(s);
  const out: UnknownKey[] = [];
  if (d.type === 'object' && d.shape && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    // an object with a catch-all takes any key by design
    if (d.catchall && def(d.catchall).type !== 'never') return out;
    const known = Object.keys(d.shape);
    for (const [key, v] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      const field = d.shape[key];
      if (field) {
        out.push(...findUnknownKeys(field, v, here));
        continue;
      }
      const nearest = known.map((k) => ({ k, n: editDistance(key, k) })).sort((x, y) => x.n - y.n)[0]?.k;
      out.push({ path: here, nearest: nearest === undefined ? undefined : path ? `${path}.${nearest}` : nearest });
    }
  } else if (d.type === 'array' && d.element && Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push(...findUnknownKeys(d.element!, v, `${path}[${i}]`));
    });
  }
  return out;
}
