/**
 * AEAD_AES_128_GCM for SRTP (RFC 7714), the profile werift and Chromium agree on. Node cannot
 * re-key a GCM cipher with a new IV, so a cipher object per packet stays; what goes is werift's
 * work around it: an IV writer allocating per packet, Buffer.concat of header, ciphertext and tag,
 * a grown copy on decrypt (about 9.8 µs encrypt and 14 µs decrypt per packet before, measured on
 * this machine). SRTCP, a packet every few seconds, stays on werift's transform.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SrtpAuthenticationError } from 'werift';
import type { HeaderLike } from './srtp-cipher.js';
import { rtpPadding } from './rtp-wire.js';

const TAG = 16;

/** werift's GCM transform: its session key and salt, and the SRTCP half we keep. */
export interface WeriftGcmLike {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  encryptRTCP(rtcp: Buffer, srtcpIndex: number): Buffer;
  decryptRTCP(packet: Buffer): [Buffer, unknown];
}

export class SrtpAesGcmCipher {
  readonly aeadAuthTagLen = TAG;
  private readonly key: Buffer;
  private readonly salt: Buffer;
  private readonly iv = Buffer.alloc(12);

  constructor(private readonly werift: WeriftGcmLike) {
    this.key = Buffer.from(werift.srtpSessionKey);
    this.salt = Buffer.from(werift.srtpSessionSalt);
  }

  /** RFC 7714 §8.1: (00 00 || SSRC || ROC || SEQ) XOR salt. */
  private rtpIv(ssrc: number, roc: number, seq: number): Buffer {
    const iv = this.iv;
    const s = this.salt;
    iv.writeUInt16BE(s.readUInt16BE(0), 0);
    iv.writeUInt32BE((s.readUInt32BE(2) ^ ssrc) >>> 0, 2);
    iv.writeUInt32BE((s.readUInt32BE(6) ^ roc) >>> 0, 6);
    iv.writeUInt16BE(s.readUInt16BE(10) ^ (seq & 0xffff), 10);
    return iv;
  }

  encryptRtp(header: HeaderLike, payload: Buffer, roc: number): Buffer {
    const head = header.serialize(header.serializeSize);
    const c = createCipheriv('aes-128-gcm', this.key, this.rtpIv(header.ssrc, roc, header.sequenceNumber));
    c.setAAD(head);
    const out = Buffer.allocUnsafe(head.length + payload.length + TAG);
    head.copy(out, 0);
    c.update(payload).copy(out, head.length);
    c.final();
    c.getAuthTag().copy(out, head.length + payload.length);
    return out;
  }

  decryptRtp(packet: Buffer, roc: number, header: HeaderLike): [Buffer, HeaderLike] {
    const off = header.payloadOffset;
    const tagAt = packet.length - TAG;
    if (tagAt < off) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    const d = createDecipheriv('aes-128-gcm', this.key, this.rtpIv(header.ssrc, roc, header.sequenceNumber));
    d.setAAD(packet.subarray(0, off));
    d.setAuthTag(packet.subarray(tagAt));
    const out = Buffer.allocUnsafe(tagAt);
    packet.copy(out, 0, 0, off);
    d.update(packet.subarray(off, tagAt)).copy(out, off);
    try {
      d.final();
    } catch {
      throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    }
    const pad = header.padding ? rtpPadding(out, off) : 0;
    if (pad < 0) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    header.paddingSize = pad;
    return [out, header];
  }

  /** A received packet authenticated and decrypted (into a buffer of its own: GCM cannot work in place here). */
  unprotect(packet: Buffer, roc: number, header: HeaderLike): Buffer {
    return this.decryptRtp(packet, roc, header)[0];
  }

  encryptRTCP(rtcp: Buffer, srtcpIndex: number): Buffer {
    return this.werift.encryptRTCP(rtcp, srtcpIndex);
  }

  decryptRTCP(packet: Buffer): [Buffer, unknown] {
    return this.werift.decryptRTCP(packet);
  }
}
