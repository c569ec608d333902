/** A MediaServer on loopback with its own random RTP range, closed at teardown. */
import { MediaServer, type MediaServerOptions } from '../../../media/index.js';

export async function startMediaServer(
  t: { teardown(fn: () => unknown): void },
  opts: Partial<MediaServerOptions> = {},
): Promise<MediaServer> {
  const base = 20000 + Math.floor(Math.random() * 18000) * 2;
  const ms = new MediaServer({
    workers: 1,
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: base, portMax: base + 399 },
    ...opts,
  });
  t.teardown(() => ms.close());
  await ms.start();
  return ms;
}

/** The port our SDP answer/offer advertises. */
export function sdpPort(sdp: string): number {
  const m = /^m=audio (\d+)/m.exec(sdp);
  if (!m) throw new Error('no audio m-line');
  return Number(m[1]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
