/**
 * Loading the recorded drachtio transcripts and normalising admin frames so that frames from our
 * server and from the real one compare field by field: generated ids, tags, branches, times, ports,
 * lengths and the version string are replaced by placeholders, nothing else.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The recordings (jsonl twins of the drachtio reference transcripts) live in the source tree. */
function transcriptsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = here.includes('/dist/') ? here.slice(0, here.indexOf('/dist/')) : join(here, '../../../..');
  return join(repo, 'test/sip/transcripts');
}

export const TRANSCRIPTS = transcriptsDir();

export interface RecordedFrame {
  n: number;
  dir?: string;
  where?: string;
  raw?: string;
  event?: string;
}

export function transcriptAvailable(name: string): boolean {
  return existsSync(`${TRANSCRIPTS}/${name}.jsonl`);
}

export function loadTranscript(name: string): RecordedFrame[] {
  return readFileSync(`${TRANSCRIPTS}/${name}.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordedFrame);
}

/** Payloads (without the length prefix) of the frames the real server sent to the app, per connection. */
export function serverFrames(frames: RecordedFrame[], conn = 'admin conn 1'): string[] {
  return frames
    .filter((f) => f.dir === 'SRV->APP' && f.where === conn && f.raw)
    .map((f) => f.raw!.slice(f.raw!.indexOf('#') + 1));
}

export function appFrames(frames: RecordedFrame[], conn: string): string[] {
  return frames
    .filter((f) => f.dir === 'APP->SRV' && f.where === conn && f.raw)
    .map((f) => f.raw!.slice(f.raw!.indexOf('#') + 1));
}

export interface PortMap {
  [ours: number]: number;
}

export interface NormalFrame {
  leader: string[];
  startLine?: string;
  headers?: string[];
  body?: string;
}

/** Normalise one frame payload. `ports` maps our run's ports to the recording's (5060/5070/5080). */
export function normalize(payload: string, ports: PortMap): NormalFrame {
  let s = payload;
  for (const [ours, theirs] of Object.entries(ports)) s = s.replace(new RegExp(`\\b${ours}\\b`, 'g'), String(theirs));
  s = s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\b\d\d:\d\d:\d\d\.\d{6}\b/g, '<time>')
    .replace(/tag=[^;>\s,|]+/g, 'tag=<tag>')
    .replace(/branch=[^;,\s]+/g, 'branch=<branch>')
    .replace(/\b\d+-\d+@127\.0\.0\.1/g, '<sipp-call-id>')
    .replace(/CSeq: \d{5,} /g, 'CSeq: <n> ')
    .replace(/Content-Length:\s*\d+/gi, 'Content-Length: <n>')
    .replace(/\b(nonce|cnonce|response|opaque)="[^"]*"/g, '$1="<x>"')
    .replace(/\bnc=[0-9a-f]+/g, 'nc=<x>')
    .replace(/m=audio \d+/g, 'm=audio <port>')
    .replace(/v0\.9\.10-[\w-]+/g, '<version>')
    // 5060 is the default port: `127.0.0.1` and `127.0.0.1:5060` in a Via sent-by are the same address
    .replace(/(SIP\/2\.0\/[A-Z]+ 127\.0\.0\.1):5060;/g, '$1;');
  const crlf = s.indexOf('\r\n');
  const leaderText = crlf < 0 ? s : s.slice(0, crlf);
  const leader = leaderText.split('|');
  // byte lengths shift with port widths: blank them
  if (leader[1] === 'sip') leader[3] = '<len>';
  if (leader[1] === 'response' && (leader[4] === 'application' || leader[4] === 'network') && leader.length > 6)
    leader[5] = '<len>';
  if (crlf < 0) return { leader };
  const sip = s.slice(crlf + 2);
  const sep = sip.indexOf('\r\n\r\n');
  let head = (sep < 0 ? sip : sip.slice(0, sep)).split('\r\n');
  // a deliberate difference (docs/drachtio-protocol.md §5.2): our server adds its Contact to a 1xx with a
  // To tag (RFC 3261 §12.1.1), the recorded server did not
  if (/^SIP\/2\.0 1\d\d /.test(head[0] ?? '') && head.some((h) => /^To:.*;tag=/i.test(h))) {
    head = head.filter((h) => !/^Contact: <sip:127\.0\.0\.1:\d+(;transport=\w+)?>$/.test(h));
  }
  return { leader, startLine: head[0], headers: head.slice(1), body: sep < 0 ? '' : sip.slice(sep + 4) };
}

/** SIP packets the real server sent to one peer (`sipp-A` / `sipp-B`). */
export function recordedToPeer(frames: RecordedFrame[], peer: string): string[] {
  return frames.filter((f) => f.dir === 'SRV->NET' && (f.where ?? '').includes(peer) && f.raw).map((f) => f.raw!);
}

/** Messages sipp logged as received (`-trace_msg`), in order. */
export function sippReceived(log: string): string[] {
  const out: string[] = [];
  for (const block of log.split(/^-{20,}.*$/m)) {
    const m = /^\s*(UDP|TCP) message received \[\d+\] bytes :\r?\n\r?\n([\s\S]*)$/.exec(block);
    if (m) out.push(m[2]!.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '\r\n\r\n'));
  }
  return out;
}

/** Start line and headers of a SIP packet, normalised like admin frames. */
export function normalizePacket(sip: string, ports: PortMap): { startLine?: string; headers?: string[] } {
  const n = normalize('x\r\n' + sip, ports);
  return { startLine: n.startLine, headers: n.headers };
}
