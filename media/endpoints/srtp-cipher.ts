/**
 * AES_CM_128_HMAC_SHA1_80 (RFC 3711) with per-session crypto state.
 *
 * werift builds a new AES-CTR cipher and a new HMAC for every packet (100–230 µs each on a loaded
 * core). Here the AES key schedule lives in one ECB cipher for the session: the CTR keystream is
 * the ECB encryption of the counter blocks, XORed with the payload. HMAC-SHA1 keeps its session key
 * buffer; werift's per-packet allocations around both are gone too.
 */
import { createCipheriv, createHmac, timingSafeEqual, type Cipher } from 'node:crypto';
import { SrtpAuthenticationError } from 'werift';
import { SrtpAesGcmCipher, type WeriftGcmLike } from './srtp-gcm-cipher.js';
import { mediaAddon } from '../native/addon.js';
import { rtpPadding } from './rtp-wire.js';

/** The SRTP part of the media addon (media/native/srtp.c): the RTP half of AES-CM, on OpenSSL contexts kept per session. */
export interface SrtpNative {
  srtpSession(key: Buffer, salt: Buffer, authKey: Buffer): NativeSrtpSession;
  /** Header, encrypted payload and tag into `out`; the length written, or -1. */
  srtpProtect(session: NativeSrtpSession, out: Buffer, head: Buffer, payload: Buffer, roc: number): number;
  /** Authenticates and decrypts in place; the plain packet's length (tag cut off), or -1. */
  srtpUnprotect(session: NativeSrtpSession, packet: Buffer, payloadOffset: number, roc: number): number;
}
export type NativeSrtpSession = { readonly __nativeSrtpSession: unique symbol };

/** The addon's transform where it was built; SWITCHBOARD_SRTP_NATIVE=0 keeps the JavaScript one (A/B runs). */
export const srtpNative: SrtpNative | undefined =
  process.env.SWITCHBOARD_SRTP_NATIVE !== '0' && typeof mediaAddon?.srtpSession === 'function'
    ? (mediaAddon as unknown as SrtpNative)
    : undefined;

const TAG_LENGTH = 10;
const MAX_BLOCKS = 128; // 2 KiB of keystream: above any datagram we accept (MTU-sized)

/** The session keys of one direction (RFC 3711 §4.3). */
export interface SrtpSessionKeys {
  srtpKey: Buffer;
  srtpSalt: Buffer;
  srtpAuth: Buffer;
  srtcpKey: Buffer;
  srtcpSalt: Buffer;
  srtcpAuth: Buffer;
}

function aesBlock(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** RFC 3711 §4.3.1 key derivation with key_derivation_rate 0 (what DTLS-SRTP uses). */
export function deriveSessionKeys(masterKey: Buffer, masterSalt: Buffer): SrtpSessionKeys {
  const prf = (label: number, length: number): Buffer => {
    const out = Buffer.alloc(Math.ceil(length / 16) * 16);
    for (let i = 0; i * 16 < length; i++) {
      const x = Buffer.alloc(16);
      masterSalt.copy(x, 0, 0, 14);
      x[7] ^= label;
      x.writeUInt16BE(i, 14);
      aesBlock(masterKey, x).copy(out, i * 16);
    }
    return out.subarray(0, length);
  };
  return {
    srtpKey: prf(0, 16),
    srtpAuth: prf(1, 20),
    srtpSalt: prf(2, 14),
    srtcpKey: prf(3, 16),
    srtcpAuth: prf(4, 20),
    srtcpSalt: prf(5, 14),
  };
}

/** AES counter mode over one cached ECB key schedule. */
class CounterKeystream {
  private readonly ecb: Cipher;
  private readonly blocks = Buffer.alloc(MAX_BLOCKS * 16);

  constructor(
    key: Buffer,
    private readonly salt: Buffer,
  ) {
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  /** XORs `length` bytes of `src` from `srcOff` into `dst` at `dstOff` (RFC 3711 §4.1.1). */
  apply(
    ssrc: number,
    indexHigh: number,
    indexLow: number,
    src: Buffer,
    srcOff: number,
    length: number,
    dst: Buffer,
    dstOff: number,
  ): void {
    const n = Math.ceil(length / 16);
    if (n > MAX_BLOCKS) throw new SrtpAuthenticationError('SRTP packet too large');
    const b = this.blocks;
    // IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16); index = ROC || SEQ (48 bits)
    b.fill(0, 0, 16);
    this.salt.copy(b, 0, 0, 14);
    b.writeUInt32BE((b.readUInt32BE(4) ^ ssrc) >>> 0, 4);
    b.writeUInt32BE((b.readUInt32BE(8) ^ indexHigh) >>> 0, 8);
    b.writeUInt16BE(b.readUInt16BE(12) ^ indexLow, 12);
    for (let i = 1; i < n; i++) {
      b.copy(b, i * 16, 0, 14);
      b.writeUInt16BE(i, i * 16 + 14);
    }
    const ks = this.ecb.update(b.subarray(0, n * 16));
    for (let i = 0; i < length; i++) dst[dstOff + i] = src[srcOff + i] ^ ks[i];
  }
}

/**
 * HMAC-SHA1 keyed once per session. Measured on node 20: a fresh createHmac with the raw key
 * (3.3 µs for a 92-byte packet) beats cloning cached ipad/opad hash states (5.5 µs) and a KeyObject
 * (3.8 µs), so only the key buffer is cached.
 */
class SessionHmac {
  private readonly roc = Buffer.alloc(4);
  constructor(private readonly key: Buffer) {}

  /** The 80-bit tag over `data` (and the ROC for SRTP) written at `dst[off]`. */
  tag(data: Buffer, roc: number | undefined, dst: Buffer, off: number): void {
    const h = createHmac('sha1', this.key).update(data);
    if (roc !== undefined) {
      this.roc.writeUInt32BE(roc >>> 0, 0);
      h.update(this.roc);
    }
    h.digest().copy(dst, off, 0, TAG_LENGTH);
  }
}

/** The subset of werift's RtpHeader the cipher reads. */
export interface HeaderLike {
  ssrc: number;
  sequenceNumber: number;
  padding: boolean;
  paddingSize: number;
  payloadOffset: number;
  serializeSize: number;
  serialize(size: number): Buffer;
}

/**
 * One direction's SRTP+SRTCP transform; drop-in for werift's CipherAesCtr. RTP goes through the
 * addon's transform when it is built (SRTCP, a packet a second, stays here).
 */
export class SrtpAesCmCipher {
  private readonly rtpStream: CounterKeystream;
  private readonly rtcpStream: CounterKeystream;
  private readonly rtpMac: SessionHmac;
  private readonly rtcpMac: SessionHmac;
  private readonly expected = Buffer.alloc(TAG_LENGTH);
  private readonly native: SrtpNative | null;
  private readonly session: NativeSrtpSession | undefined;
  readonly authTagLength = TAG_LENGTH;

  /** `native` null: this file's transform only (tests, A/B). */
  constructor(keys: SrtpSessionKeys, native: SrtpNative | null = srtpNative ?? null) {
    this.rtpStream = new CounterKeystream(keys.srtpKey, keys.srtpSalt);
    this.rtcpStream = new CounterKeystream(keys.srtcpKey, keys.srtcpSalt);
    this.rtpMac = new SessionHmac(keys.srtpAuth);
    this.rtcpMac = new SessionHmac(keys.srtcpAuth);
    this.native = native;
    this.session = native?.srtpSession(keys.srtpKey, keys.srtpSalt, keys.srtpAuth);
  }

  /** Whose RTP transform runs: the addon's or this file's. */
  get via(): 'native' | 'js' {
    return this.session ? 'native' : 'js';
  }

  /** SRTP of `payload` behind `head` into `out` (which must hold it and the tag); the length written. */
  protectInto(out: Buffer, head: Buffer, ssrc: number, seq: number, payload: Buffer, roc: number): number {
    if (this.native && this.session) {
      const n = this.native.srtpProtect(this.session, out, head, payload, roc);
      if (n < 0) throw new Error('SRTP transform failed');
      return n;
    }
    head.copy(out, 0);
    this.rtpStream.apply(ssrc, roc, seq, payload, 0, payload.length, out, head.length);
    const body = head.length + payload.length;
    this.rtpMac.tag(out.subarray(0, body), roc, out, body);
    return body + TAG_LENGTH;
  }

  /**
   * A received packet authenticated and decrypted; the packet's own memory may be used (the caller
   * owns it and reads only the result). Throws SrtpAuthenticationError when it does not authenticate.
   */
  unprotect(packet: Buffer, roc: number, header: HeaderLike): Buffer {
    if (!this.native || !this.session) return this.decryptRtp(packet, roc, header)[0];
    const n = this.native.srtpUnprotect(this.session, packet, header.payloadOffset, roc);
    if (n < 0) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    return checkPadding(packet.subarray(0, n), header);
  }

  encryptRtp(header: HeaderLike, payload: Buffer, roc: number): Buffer {
    const head = header.serialize(header.serializeSize);
    const out = Buffer.allocUnsafe(head.length + payload.length + TAG_LENGTH);
    if (this.native && this.session) {
      this.protectInto(out, head, header.ssrc, header.sequenceNumber, payload, roc);
      return out;
    }
    head.copy(out, 0);
    this.rtpStream.apply(header.ssrc, roc, header.sequenceNumber, payload, 0, payload.length, out, head.length);
    const body = head.length + payload.length;
    this.rtpMac.tag(out.subarray(0, body), roc, out, body);
    return out;
  }

  decryptRtp(packet: Buffer, roc: number, header: HeaderLike): [Buffer, HeaderLike] {
    if (this.native && this.session) return [this.unprotect(Buffer.from(packet), roc, header), header];
    const tagAt = packet.length - TAG_LENGTH;
    this.rtpMac.tag(packet.subarray(0, tagAt), roc, this.expected, 0);
    if (!timingSafeEqual(packet.subarray(tagAt), this.expected))
      throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    const off = header.payloadOffset;
    const out = Buffer.allocUnsafe(tagAt);
    packet.copy(out, 0, 0, off);
    this.rtpStream.apply(header.ssrc, roc, header.sequenceNumber, packet, off, tagAt - off, out, off);
    return [checkPadding(out, header), header];
  }

  /** RFC 3711 §3.4: everything after the first 8 bytes is encrypted; E flag + index, then the tag. */
  encryptRTCP(rtcp: Buffer, srtcpIndex: number): Buffer {
    const out = Buffer.allocUnsafe(rtcp.length + 4 + TAG_LENGTH);
    rtcp.copy(out, 0, 0, 8);
    this.rtcpStream.apply(rtcp.readUInt32BE(4), srtcpIndex >>> 16, srtcpIndex & 0xffff, rtcp, 8, rtcp.length - 8, out, 8);
    out.writeUInt32BE((srtcpIndex | 0x80000000) >>> 0, rtcp.length);
    this.rtcpMac.tag(out.subarray(0, rtcp.length + 4), undefined, out, rtcp.length + 4);
    return out;
  }

  decryptRTCP(packet: Buffer): [Buffer, unknown] {
    if (packet.length < 8 + 4 + TAG_LENGTH) throw new SrtpAuthenticationError('Failed to authenticate SRTCP packet');
    const tagAt = packet.length - TAG_LENGTH;
    this.rtcpMac.tag(packet.subarray(0, tagAt), undefined, this.expected, 0);
    if (!timingSafeEqual(packet.subarray(tagAt), this.expected))
      throw new SrtpAuthenticationError('Failed to authenticate SRTCP packet');
    const tail = tagAt - 4;
    const out = Buffer.from(packet.subarray(0, tail));
    const word = packet.readUInt32BE(tail);
    if (word & 0x80000000) {
      const index = word & 0x7fffffff;
      this.rtcpStream.apply(packet.readUInt32BE(4), index >>> 16, index & 0xffff, packet, 8, tail - 8, out, 8);
    }
    // werift's callers only use the buffer; the parsed header is theirs to build.
    return [out, undefined];
  }
}

/** Reads the padding (RFC 3550 §5.1) of a decrypted packet into header.paddingSize; throws when it runs past the payload. */
export function checkPadding(plain: Buffer, header: HeaderLike): Buffer {
  const pad = header.padding ? rtpPadding(plain, header.payloadOffset) : 0;
  if (pad < 0) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
  header.paddingSize = pad;
  return plain;
}

interface WeriftContextLike {
  masterKey: Buffer;
  masterSalt: Buffer;
  profile: number;
  cipher: unknown;
}
interface WeriftSessionLike {
  localContext?: WeriftContextLike;
  remoteContext?: WeriftContextLike;
}
/** What we touch of werift's RTCDtlsTransport (its SRTP sessions exist once DTLS connects). */
export interface DtlsTransportLike {
  srtp?: WeriftSessionLike;
  srtcp?: WeriftSessionLike;
}

const AES_CM_128_HMAC_SHA1_80 = 1;
const AEAD_AES_128_GCM = 7;

/**
 * Swaps werift's per-packet-cipher transform for ours in each SRTP/SRTCP context; werift keeps
 * the ROC and SRTCP index bookkeeping. Returns the profile taken over, or undefined when the
 * transport has no SRTP yet or speaks a profile we leave to werift.
 */
export function installSessionCiphers(transport: DtlsTransportLike): 'aes-cm' | 'aes-gcm' | undefined {
  const srtp = [transport.srtp?.localContext, transport.srtp?.remoteContext];
  const srtcp = [transport.srtcp?.localContext, transport.srtcp?.remoteContext];
  const contexts = [...srtp, ...srtcp];
  if (contexts.some((c) => !c)) return undefined;
  if (contexts.every((c) => c?.profile === AES_CM_128_HMAC_SHA1_80)) {
    for (const c of contexts as WeriftContextLike[]) {
      c.cipher = new SrtpAesCmCipher(deriveSessionKeys(c.masterKey, c.masterSalt));
    }
    return 'aes-cm';
  }
  if (srtp.every((c) => c?.profile === AEAD_AES_128_GCM && isWeriftGcm(c.cipher))) {
    // SRTP only: its contexts' ciphers also carry the SRTCP half, which stays werift's.
    for (const c of srtp as WeriftContextLike[]) c.cipher = new SrtpAesGcmCipher(c.cipher as WeriftGcmLike);
    return 'aes-gcm';
  }
  return undefined;
}

function isWeriftGcm(c: unknown): c is WeriftGcmLike {
  const g = c as Partial<WeriftGcmLike> | undefined;
  return Buffer.isBuffer(g?.srtpSessionKey) && g.srtpSessionKey.length === 16 && Buffer.isBuffer(g.srtpSessionSalt);
}

/**
 * werift as the DTLS server (it is, for every browser: the browser's offers are answered passive,
 * and the browser answers our offers active) picks the first SRTP profile of its own list that the
 * client offers, and its list starts with AES-GCM. Our GCM transform still needs a cipher object per
 * packet (Node cannot re-key GCM with a new IV); AES-CM keeps its key schedule for the session and
 * costs less. AES_CM_128_HMAC_SHA1_80 goes first; a client that offers only GCM still gets it (and
 * our GCM transform).
 */
export function preferSessionCipherProfile(transport: unknown): void {
  const t = transport as { srtpProfiles?: number[] };
  if (!Array.isArray(t.srtpProfiles) || !t.srtpProfiles.includes(AES_CM_128_HMAC_SHA1_80)) return;
  t.srtpProfiles = [AES_CM_128_HMAC_SHA1_80, ...t.srtpProfiles.filter((p) => p !== AES_CM_128_HMAC_SHA1_80)];
}
