/** A MediaServer on loopback with its own random RTP range, closed at teardown. */
import { MediaServer, type MediaServerOptions, type MediaSession } from '../../../media/index.js';
import { warmMedia } from '../../helpers/warm-media.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { peerOffer } from './peer-sdp.js';

export async function startMediaServer(
  t: { teardown(fn: () => unknown): void },
  opts: Partial<MediaServerOptions> = {},
): Promise<MediaServer> {
  const base = 20000 + Math.floor(Math.random() * 18000) * 2;
  const ms = new MediaServer({
    workers: 1,
    rtp: { address: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: base, portMax: base + 399 },
    // Admission by load is measured on the worker's event loop, which a busy test machine slows for
    // reasons of its own: only the tests of that admission (which set these) should see refusals.
    maxWorkerUtilization: 1,
    maxWorkerLagMs: 10000,
    ...opts,
  });
  t.teardown(() => ms.close());
  await ms.start();
  await warmMedia(ms);
  return ms;
}

/**
 * One MediaServer for several subtests of a file, started by the first that asks and closed when the
 * file ends (`t` is the file's root test): each start costs ~0.7 s of CPU (a worker thread loading the
 * media code). Subtests sharing it make their sessions with `openSession`, so none outlives its subtest.
 */
export function sharedMediaServer(
  t: { teardown(fn: () => unknown): void },
  opts: Partial<MediaServerOptions> = {},
): () => Promise<MediaServer> {
  let started: Promise<MediaServer> | undefined;
  return () => {
    started ??= startMediaServer(t, opts);
    return started;
  };
}

/** A session closed when the subtest `t` ends. */
export async function openSession(t: { teardown(fn: () => unknown): void }, ms: MediaServer): Promise<MediaSession> {
  const session = await ms.createSession();
  t.teardown(() => session.close().catch(() => undefined));
  return session;
}

/** The port our SDP answer/offer advertises. */
export function sdpPort(sdp: string): number {
  const m = /^m=audio (\d+)/m.exec(sdp);
  if (!m) throw new Error('no audio m-line');
  return Number(m[1]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const local = (port: number): { address: string; port: number } => ({ address: '127.0.0.1', port });

/** `n` RTP peers in child processes, closed at teardown. */
export async function peers(t: { teardown(fn: () => void): void }, n: number): Promise<RtpPeer[]> {
  const out = await Promise.all(Array.from({ length: n }, () => RtpPeer.start()));
  t.teardown(() => {
    for (const p of out) p.close();
  });
  return out;
}

type PeerMedia = Parameters<typeof peerOffer>[1];

/**
 * A media server with one session bridging two RTP endpoints: peer `pa` speaks `codecA` to
 * endpoint a, peer `pb` speaks `codecB` (optionally asking for `ptimeB`) to endpoint b.
 */
export async function bridgedPeers(
  t: { teardown(fn: () => unknown): void },
  codecA: PeerMedia,
  codecB: PeerMedia,
  opts: { ptimeB?: number /** A (shared) media server to use instead of a new one. */; ms?: MediaServer } = {},
) {
  const ms = opts.ms ?? (await startMediaServer(t));
  const [pa, pb] = await peers(t, 2);
  const session = opts.ms ? await openSession(t, ms) : await ms.createSession();
  const a = await session.createEndpoint('rtp');
  const b = await session.createEndpoint('rtp');
  const ansA = await a.answer(peerOffer(pa.port, codecA));
  await b.answer(peerOffer(pb.port, codecB, { ptime: opts.ptimeB }));
  await session.bridge(a, b);
  return { ms, session, a, b, pa, pb, towardsA: local(sdpPort(ansA)) };
}
