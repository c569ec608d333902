/**
 * SDP offer/answer for plain RTP audio legs (RFC 3264): PCMU, PCMA, Opus and telephone-event,
 * with whatever payload type numbers the offerer chose, direction attributes and the old-style
 * `c=0.0.0.0` hold.
 */
import * as sdpTransform from 'sdp-transform';
import type { CodecName, CodecSpec } from './types.js';
import { SdpNegotiationError } from './types.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The audio stream one side described. */
export interface MediaDescription {
  address: string;
  port: number;
  rtcpPort: number;
  rtcpMux: boolean;
  direction: Direction;
  /** Audio codecs in the describer's preference order. */
  codecs: CodecSpec[];
  /** telephone-event entries (one per clock rate). */
  telephoneEvents: CodecSpec[];
  ptime: number | undefined;
}

/** What both sides agreed on, seen from our side. */
export interface NegotiatedMedia {
  codec: CodecSpec;
  telephoneEvent: CodecSpec | undefined;
  remote: MediaDescription;
  /** Our direction (as written in our answer or offer). */
  localDirection: Direction;
  /** May we send RTP to the remote (not held by them)? */
  canSend: boolean;
  /** Should the remote be sending to us (for the media timeout)? */
  expectReceive: boolean;
}

const AUDIO_CODECS: readonly CodecName[] = ['PCMU', 'PCMA', 'opus'];
const STATIC_PT: Record<number, { name: CodecName; clockRate: number }> = {
  0: { name: 'PCMU', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
};
const DEFAULT_PT: Record<string, number> = { PCMU: 0, PCMA: 8, opus: 111 };
const TE_PT_8K = 101;
const TE_PT_48K = 110;

function codecName(raw: string): CodecName | undefined {
  const lower = raw.toLowerCase();
  if (lower === 'pcmu') return 'PCMU';
  if (lower === 'pcma') return 'PCMA';
  if (lower === 'opus') return 'opus';
  if (lower === 'telephone-event') return 'telephone-event';
  return undefined;
}

function parseFmtp(config: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const part of config.split(';')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (!k) continue;
    const n = Number(v);
    out[k] = v !== undefined && v !== '' && Number.isFinite(n) ? n : (v ?? '');
  }
  return out;
}

/** Reads the first usable audio m= line; throws SdpNegotiationError when there is none. */
export function parseMediaDescription(sdp: string): MediaDescription {
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(sdp);
  } catch (err) {
    throw new SdpNegotiationError(`unparsable SDP: ${(err as Error).message}`);
  }
  const m = (session.media ?? []).find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) throw new SdpNegotiationError('no audio stream in SDP');
  const address = m.connection?.ip ?? session.connection?.ip;
  if (!address) throw new SdpNegotiationError('no connection address in SDP');
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n < 128);
  const codecs: CodecSpec[] = [];
  const telephoneEvents: CodecSpec[] = [];
  for (const pt of pts) {
    const rtp = (m.rtp ?? []).find((r) => r.payload === pt);
    let name: CodecName | undefined;
    let clockRate: number;
    let channels = 1;
    if (rtp) {
      name = codecName(rtp.codec);
      clockRate = rtp.rate ?? 8000;
      channels = rtp.encoding ? Number(rtp.encoding) || 1 : 1;
    } else if (STATIC_PT[pt]) {
      ({ name, clockRate } = STATIC_PT[pt]);
    } else continue;
    if (!name) continue;
    if (name === 'opus' && clockRate !== 48000) continue;
    if ((name === 'PCMU' || name === 'PCMA') && clockRate !== 8000) continue;
    const fmtp = (m.fmtp ?? []).find((f) => f.payload === pt);
    const spec: CodecSpec = { name, payloadType: pt, clockRate, channels };
    if (fmtp) spec.params = parseFmtp(fmtp.config);
    if (name === 'telephone-event') telephoneEvents.push(spec);
    else codecs.push(spec);
  }
  const direction = (m.direction ?? session.direction ?? 'sendrecv') as Direction;
  const rtcpMux = m.rtcpMux !== undefined;
  return {
    address,
    port: m.port,
    rtcpPort: rtcpMux ? m.port : (m.rtcp?.port ?? m.port + 1),
    rtcpMux,
    direction,
    codecs,
    telephoneEvents,
    ptime: m.ptime,
  };
}

/** The direction we answer with, and whether each way carries media. */
export function answerDirection(remote: MediaDescription, localWants: Direction = 'sendrecv'): Direction {
  const remoteSends = remote.direction === 'sendrecv' || remote.direction === 'sendonly';
  const remoteRecvs = (remote.direction === 'sendrecv' || remote.direction === 'recvonly') && !isHoldAddress(remote.address);
  const weSend = remoteRecvs && (localWants === 'sendrecv' || localWants === 'sendonly');
  const weRecv = remoteSends && (localWants === 'sendrecv' || localWants === 'recvonly');
  if (weSend && weRecv) return 'sendrecv';
  if (weSend) return 'sendonly';
  if (weRecv) return 'recvonly';
  return 'inactive';
}

export function isHoldAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function pickTelephoneEvent(remote: MediaDescription, codec: CodecSpec): CodecSpec | undefined {
  return remote.telephoneEvents.find((t) => t.clockRate === codec.clockRate) ?? remote.telephoneEvents[0];
}

/** Chooses the first offered codec we support, keeping the offerer's payload numbers. */
export function negotiateAnswer(offer: MediaDescription, supported: readonly CodecName[] = AUDIO_CODECS): NegotiatedMedia {
  const codec = offer.codecs.find((c) => supported.includes(c.name));
  if (!codec)
    throw new SdpNegotiationError(`no common audio codec (offered ${offer.codecs.map((c) => c.name).join(', ') || 'none'})`);
  const localDirection = answerDirection(offer);
  return {
    codec,
    telephoneEvent: pickTelephoneEvent(offer, codec),
    remote: offer,
    localDirection,
    canSend: localDirection === 'sendrecv' || localDirection === 'sendonly',
    expectReceive: localDirection === 'sendrecv' || localDirection === 'recvonly',
  };
}

/** Interprets the remote answer to our offer: their first codec must be one we offered. */
export function acceptAnswer(
  answer: MediaDescription,
  offered: CodecSpec[],
  localDirection: Direction = 'sendrecv',
): NegotiatedMedia {
  const codec = answer.codecs.find((c) => offered.some((o) => o.name === c.name));
  if (!codec) throw new SdpNegotiationError('answer has no codec we offered');
  const effective = answerDirection(answer, localDirection);
  return {
    codec,
    telephoneEvent: pickTelephoneEvent(answer, codec),
    remote: answer,
    localDirection,
    canSend: effective === 'sendrecv' || effective === 'sendonly',
    expectReceive: effective === 'sendrecv' || effective === 'recvonly',
  };
}

/** Codec list for our own offer, in preference order, with telephone-event for each clock rate used. */
export function offerCodecs(names: readonly CodecName[] = AUDIO_CODECS): CodecSpec[] {
  const out: CodecSpec[] = [];
  for (const name of names) {
    if (name === 'opus')
      out.push({ name, payloadType: DEFAULT_PT.opus, clockRate: 48000, channels: 2, params: { stereo: 0, maxptime: 40 } });
    else if (name === 'PCMU' || name === 'PCMA') out.push({ name, payloadType: DEFAULT_PT[name], clockRate: 8000, channels: 1 });
  }
  if (out.length === 0) throw new SdpNegotiationError('no audio codec to offer');
  if (out.some((c) => c.clockRate === 8000))
    out.push({ name: 'telephone-event', payloadType: TE_PT_8K, clockRate: 8000, channels: 1, params: { '0-16': '' } });
  if (out.some((c) => c.clockRate === 48000))
    out.push({ name: 'telephone-event', payloadType: TE_PT_48K, clockRate: 48000, channels: 1, params: { '0-16': '' } });
  return out;
}

/** Opus fmtp parameters (RFC 7587 §6.1) of a leg that plays and sends nothing above `rate`; none at full band. */
export function opusRateParams(rate: number | undefined): Record<string, number> {
  return rate && rate < 48000 ? { maxplaybackrate: rate, 'sprop-maxcapturerate': rate } : {};
}

function fmtpString(params: Record<string, string | number>): string {
  return Object.entries(params)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(';');
}

export interface LocalDescription {
  sessionId: number;
  version: number;
  address: string;
  port: number;
  direction: Direction;
  /** Audio codecs then telephone-event entries, in the order to list them. */
  codecs: CodecSpec[];
  ptime?: number;
  /** RTCP on the RTP port (RFC 5761): only in an answer to an offer that proposed it. */
  rtcpMux?: boolean;
}

export function buildSdp(local: LocalDescription): string {
  const ipVer = local.address.includes(':') ? 6 : 4;
  const media: sdpTransform.MediaDescription = {
    type: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    payloads: local.codecs.map((c) => c.payloadType).join(' '),
    rtp: local.codecs.map((c) => ({
      payload: c.payloadType,
      codec: c.name,
      rate: c.clockRate,
      ...(c.channels > 1 ? { encoding: c.channels } : {}),
    })),
    fmtp: local.codecs
      .filter((c) => c.params && Object.keys(c.params).length > 0)
      .map((c) => ({ payload: c.payloadType, config: fmtpString(c.params ?? {}) })),
    rtcp: { port: local.rtcpMux ? local.port : local.port + 1, netType: 'IN', ipVer, address: local.address },
    ...(local.rtcpMux ? { rtcpMux: 'rtcp-mux' } : {}),
    ptime: local.ptime ?? 20,
    direction: local.direction,
  };
  if (local.codecs.some((c) => c.name === 'opus')) media.maxptime = 40;
  return sdpTransform.write({
    version: 0,
    origin: {
      username: 'switchboard',
      sessionId: local.sessionId,
      sessionVersion: local.version,
      netType: 'IN',
      ipVer,
      address: local.address,
    },
    name: 'switchboard',
    connection: { version: ipVer, ip: local.address },
    timing: { start: 0, stop: 0 },
    media: [media],
  });
}
