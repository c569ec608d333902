/**
 * Visitor attachments: what the bytes are, decided by their content (a browser's declared type is
 * the visitor's word), and where they live: files with random names in one folder under DATA_DIR,
 * never a name a visitor chose, so no upload or download can reach outside it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The kinds of file a chat accepts: pictures (screenshots), PDFs and plain text. */
export const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

const startsWith = (b: Buffer, sig: number[], at = 0): boolean => sig.every((v, i) => b[at + i] === v);

/** Plain text: valid UTF-8 with no control characters but tab, line feed, form feed and carriage return. */
function isPlainText(b: Buffer): boolean {
  if (b.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
}

/** The type the bytes are, or undefined for anything the chat does not take. */
export function sniffAttachment(b: Buffer): AttachmentType | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return 'image/gif';
  if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (startsWith(b, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return isPlainText(b) ? 'text/plain' : undefined;
}

/**
 * Does the browser's declared type agree with the bytes? A generic or missing type defers to the
 * bytes; a specific one that names something else (a "PNG" that is a PDF) is refused.
 */
export function declaredTypeMatches(declared: string | undefined, sniffed: AttachmentType): boolean {
  const d = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (d === '' || d === 'application/octet-stream') return true;
  if (d === 'image/jpg' || d === 'image/pjpeg') return sniffed === 'image/jpeg';
  return d === sniffed;
}

/** A file name fit to show and to put in Content-Disposition: its last path part, printable, short. */
export function cleanFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200);
  return clean || 'attachment';
}

const STORAGE_NAME = /^[0-9a-f]{32}$/;

/** The uploads folder: files named by 16 random bytes in hex, written once, read back by that name only. */
export class AttachmentStore {
  private made?: Promise<unknown>;

  constructor(readonly dir: string) {}

  /** Writes the bytes under a fresh random name and returns the name. */
  async save(bytes: Buffer): Promise<string> {
    this.made ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.made;
    const name = randomBytes(16).toString('hex');
    await writeFile(join(this.dir, name), bytes, { flag: 'wx', mode: 0o600 });
    return name;
  }

  async read(storageName: string): Promise<Buffer> {
    return readFile(this.pathOf(storageName));
  }

  async remove(storageName: string): Promise<void> {
    await rm(this.pathOf(storageName), { force: true });
  }

  /** The files in the folder that this store could have made, with their age (none when the folder is not there yet). */
  async list(): Promise<{ name: string; mtimeMs: number }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: { name: string; mtimeMs: number }[] = [];
    for (const name of names.filter((n) => STORAGE_NAME.test(n))) {
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st?.isFile()) out.push({ name, mtimeMs: st.mtimeMs });
    }
    return out;
  }

  /** Only names this store made resolve: anything else (`../x`, absolute paths) is refused outright. */
  private pathOf(storageName: string): string {
    if (!STORAGE_NAME.test(storageName)) throw new Error('not an attachment storage name');
    return join(this.dir, storageName);
  }
}
