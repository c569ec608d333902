/** What a WebRTC leg speaks: Opus 48 kHz and telephone-event/48000, in werift's terms and ours. */
import { RTCRtpCodecParameters } from 'werift';
import type { CodecSpec } from '../types.js';
import { SdpNegotiationError } from '../types.js';

const OPUS_PT = 111;
const TEL_EVENT_PT = 126;

export const OPUS_SPEC: CodecSpec = {
  name: 'opus',
  payloadType: OPUS_PT,
  clockRate: 48000,
  channels: 2,
  params: { minptime: 10 },
};

export function weriftCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      payloadType: OPUS_PT,
      parameters: 'minptime=10',
    }),
    new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 48000, channels: 1, payloadType: TEL_EVENT_PT }),
  ];
}

/** DTLS-SRTP over ICE needs a fingerprint and ICE credentials; without them werift would wait for nothing. */
export function checkWebRtcSdp(sdp: string, what: string): void {
  for (const attr of ['fingerprint', 'ice-ufrag', 'ice-pwd']) {
    if (!new RegExp(`^a=${attr}:\\S`, 'm').test(sdp)) throw new SdpNegotiationError(`WebRTC ${what} without a=${attr}`);
  }
}
