/**
 * The seed's own signature-verify snippets (test/events/verify: Node and Python, verbatim) run on a
 * captured delivery, as a receiver written from the Phonevoice docs would run them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The snippets stay in the source tree (dist/test/events -> test/events/verify).
const verifyDir = join(dirname(fileURLToPath(import.meta.url)), '../../../test/events/verify');

/** `valid`, `invalid`, or `error: ...` when the snippet could not run. */
export function seedVerify(runtime: 'node' | 'python3', body: string, header: string, secret: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-verify-'));
  try {
    const file = join(dir, 'body.json');
    writeFileSync(file, body);
    const script = join(verifyDir, runtime === 'node' ? 'verify.cjs' : 'verify.py');
    const r = spawnSync(runtime, [script, file, header, secret], { encoding: 'utf8', timeout: 15000 });
    return r.status === 0 ? r.stdout.trim() : `error: ${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
