/**
 * Replays the application side of a recorded admin connection byte for byte (with port
 * substitutions) and collects what our server answers, and whether it closed the connection.
 */
import { connect } from 'node:net';
import { FrameDecoder, encodeFrame } from '../../../../sip/server/drachtio/framing.js';

export interface RawResult {
  frames: string[];
  closedByServer: boolean;
}

export async function replayConnection(
  port: number,
  rawFrames: string[],
  substitute: (s: string) => string,
  gapMs = 150,
): Promise<RawResult> {
  const sock = connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  const frames: string[] = [];
  let closedByServer = false;
  const dec = new FrameDecoder();
  dec.on('frame', (f) => frames.push(f));
  sock.on('data', (d: Buffer) => dec.push(d));
  sock.on('end', () => {
    closedByServer = true;
  });
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  for (const raw of rawFrames) {
    if (closedByServer) break;
    const hash = raw.indexOf('#');
    const prefix = raw.slice(0, hash);
    sock.write(/^\d+$/.test(prefix) ? encodeFrame(substitute(raw.slice(hash + 1))) : Buffer.from(raw));
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await new Promise((r) => setTimeout(r, gapMs));
  sock.destroy();
  return { frames, closedByServer };
}
