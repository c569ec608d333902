/**
 * A werift peer standing in for a browser: offers Opus + telephone-event with loopback host
 * candidates, sends Opus frames it is given, and records what it receives. Used by the
 * endpoint tests that do not need Chromium and by the WebRTC benchmark.
 */
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';

export interface ReceivedPacket {
  payloadType: number;
  timestamp: number;
  sequenceNumber: number;
  payload: Buffer;
  at: number;
}

export class WeriftClient {
  readonly pc: RTCPeerConnection;
  readonly transceiver: RTCRtpTransceiver;
  readonly received: ReceivedPacket[] = [];
  private seq = 1000;
  private ts = 5000;
  onPacket: ((p: ReceivedPacket) => void) | undefined;

  constructor() {
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 48000, channels: 1, payloadType: 126 }),
        ],
      },
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1' && pair.remoteCandidate.host === '127.0.0.1',
      iceUseIpv6: false,
    });
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const p = {
          payloadType: rtp.header.payloadType,
          timestamp: rtp.header.timestamp,
          sequenceNumber: rtp.header.sequenceNumber,
          payload: rtp.payload,
          at: performance.now(),
        };
        this.received.push(p);
        this.onPacket?.(p);
      });
    });
  }

  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  async accept(answerSdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  async connected(timeoutMs = 10000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unSubscribe();
        reject(new Error(`not connected after ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = this.pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') {
          clearTimeout(timer);
          sub.unSubscribe();
          resolve();
        }
      });
    });
  }

  sendOpus(payload: Buffer): void {
    this.transceiver.sender
      .sendRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: this.seq, timestamp: this.ts }), payload))
      .catch(() => undefined);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 960) >>> 0;
  }

  /** RFC 4733 packets straight onto SRTP (werift's sender would force the Opus payload type). */
  sendEvent(payload: Buffer, marker: boolean, timestamp: number): void {
    const header = new RtpHeader({
      payloadType: 126,
      sequenceNumber: this.seq,
      timestamp,
      ssrc: this.transceiver.sender.ssrc,
      marker,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.transceiver.sender.dtlsTransport.sendRtp(payload, header).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}
