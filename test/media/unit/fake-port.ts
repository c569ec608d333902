/** In-memory MediaPort double: records what is sent, lets the test emit inbound audio. */
import { EventEmitter } from 'node:events';
import type { AudioFrame, CodecSpec, MediaPort, MediaPortEvents, RtpPacketInfo } from '../../../media/types.js';

export class FakePort extends EventEmitter<MediaPortEvents> implements MediaPort {
  closed = false;
  codec: CodecSpec | undefined;
  readonly sent: AudioFrame[] = [];
  readonly sentAt: number[] = [];
  readonly rtp: RtpPacketInfo[] = [];
  readonly digits: string[] = [];

  constructor(
    readonly id: string,
    public pcmRate: number,
  ) {
    super();
    this.codec =
      pcmRate === 8000
        ? { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 }
        : { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };
  }

  sendRtp(packet: RtpPacketInfo): void {
    this.rtp.push(packet);
  }

  sendAudio(frame: AudioFrame): void {
    this.sent.push(frame);
    this.sentAt.push(performance.now());
  }

  sendDtmf(digit: string): void {
    this.digits.push(digit);
  }

  /** Simulate decoded inbound audio. */
  hear(samples: Int16Array): void {
    this.emit('audio', { samples, sampleRate: this.pcmRate });
  }

  /** Everything sent so far, concatenated. */
  sentSamples(from = 0): Int16Array {
    const parts = this.sent.slice(from);
    const out = new Int16Array(parts.reduce((a, f) => a + f.samples.length, 0));
    let o = 0;
    for (const f of parts) {
      out.set(f.samples, o);
      o += f.samples.length;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('closed');
  }
}
