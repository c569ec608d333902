/**
 * Reads one file out of a `multipart/form-data` body (what `curl -F file=@x.png` and a browser's
 * FormData send), with a hard cap on what is read: a body over the cap is answered 413 without being
 * kept in memory.
 */
import type { Request } from 'express';
import { ApiError } from './errors.js';

export interface UploadedFile {
  bytes: Buffer;
  fileName?: string;
  contentType?: string;
}

/** Room for the part headers and boundaries around the file itself. */
const ENVELOPE_BYTES = 16 * 1024;
/** A body this far over the cap is cut off rather than drained (the client then sees the connection close). */
const DRAIN_FACTOR = 4;

function boundaryOf(contentType: string | undefined): string {
  const m = /^multipart\/form-data\s*;(.*)$/i.exec(contentType ?? '');
  const b = m && /(?:^|;)\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(m[1]!);
  if (!b) throw new ApiError(415, 'body: expected multipart/form-data with a file field');
  return (b[1] ?? b[2])!;
}

/** Collects the body up to `cap` bytes; past it the rest is drained (up to a point) and 413 answered. */
function collect(req: Request, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.get('content-length') ?? Number.NaN);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const tooLarge = () => new ApiError(413, `file: larger than ${cap - ENVELOPE_BYTES} bytes`, { Connection: 'close' });
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        over = true;
        chunks.length = 0;
        // a body far past the cap is not worth reading to the end
        if (size > cap * DRAIN_FACTOR || declared > cap * DRAIN_FACTOR) {
          req.removeAllListeners('data');
          req.pause();
          reject(tooLarge());
        }
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (over ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function headerValue(headers: string, name: string): string | undefined {
  for (const line of headers.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name) return line.slice(i + 1).trim();
  }
  return undefined;
}

function dispositionParam(disposition: string, name: string): string | undefined {
  const ext = new RegExp(`(?:^|;)\\s*${name}\\*\\s*=\\s*UTF-8''([^;]*)`, 'i').exec(disposition);
  if (ext) {
    try {
      return decodeURIComponent(ext[1]!);
    } catch {
      /* fall back to the plain parameter */
    }
  }
  const quoted = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(disposition);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  return new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;\\s]+)`, 'i').exec(disposition)?.[1];
}

/** The part named `field` of a multipart body of at most `maxFileBytes` of file. */
export async function readMultipartFile(req: Request, maxFileBytes: number, field = 'file'): Promise<UploadedFile> {
  const boundary = boundaryOf(req.get('content-type'));
  const body = await collect(req, maxFileBytes + ENVELOPE_BYTES);
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headersEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    if (headersEnd < 0) break;
    const headers = body.subarray(afterDelimiter + 2, headersEnd).toString('utf8');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next < 0) break;
    const disposition = headerValue(headers, 'content-disposition') ?? '';
    if (dispositionParam(disposition, 'name') === field) {
      const bytes = body.subarray(headersEnd + 4, next);
      if (bytes.length > maxFileBytes) throw new ApiError(413, `file: larger than ${maxFileBytes} bytes`);
      return {
        bytes: Buffer.from(bytes),
        fileName: dispositionParam(disposition, 'filename'),
        contentType: headerValue(headers, 'content-type'),
      };
    }
    at = next + 2;
  }
  throw new ApiError(422, `${field}: required (a multipart/form-data file field)`);
}
