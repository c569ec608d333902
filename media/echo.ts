/**
 * The `*43` echo test: what a port receives goes straight back to it, packet for packet (no
 * decoding), so the caller hears their own voice after one network round trip.
 */
import type { DtmfEvent, MediaPort, RtpPacketInfo } from './types.js';

export class Echo {
  readonly port: MediaPort;
  private closed = false;
  private readonly onRtp = (p: RtpPacketInfo): void => this.port.sendRtp(p);
  private readonly onDtmf = (e: DtmfEvent): void => this.port.sendDtmf(e.digit, e.durationMs);
  private readonly onClosed = (): void => this.close();

  constructor(port: MediaPort, opts?: { echoDtmf?: boolean }) {
    this.port = port;
    port.on('rtp', this.onRtp);
    if (opts?.echoDtmf) port.on('dtmf', this.onDtmf);
    port.once('closed', this.onClosed);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.off('rtp', this.onRtp);
    this.port.off('dtmf', this.onDtmf);
    this.port.off('closed', this.onClosed);
  }
}
