/** What a WebRTC leg speaks: Opus 48 kHz and telephone-event/48000, in werift's terms and ours. */
import { RTCRtpCodecParameters } from 'werift';
import type { CodecSpec } from '../types.js';
import { SdpNegotiationError } from '../types.js';
import { opusRateParams } from '../sdp.js';

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

/**
 * Adds `maxplaybackrate` and `sprop-maxcapturerate` (RFC 7587 §6.1) to the Opus fmtp of an SDP
 * werift wrote: browsers then encode no wider than `rate` (see SdpOptions). Other lines unchanged.
 */
export function limitOpusRate(sdp: string, rate: number | undefined): string {
  const params = Object.entries(opusRateParams(rate));
  const pt = /^a=rtpmap:(\d+) opus\/48000/im.exec(sdp)?.[1];
  if (params.length === 0 || pt === undefined) return sdp;
  const extra = params.map(([k, v]) => `${k}=${v}`).join(';');
  const fmtp = new RegExp(`^(a=fmtp:${pt} )(.*)$`, 'm');
  if (fmtp.test(sdp))
    return sdp.replace(fmtp, (_m, head: string, written: string) => {
      const kept = written
        .split(';')
        .map((p) => p.trim())
        .filter((p) => p && !params.some(([k]) => p.toLowerCase().startsWith(`${k}=`)));
      return `${head}${[...kept, extra].join(';')}`;
    });
  return sdp.replace(new RegExp(`^(a=rtpmap:${pt} opus/48000[^\r\n]*)(\r?\n)`, 'im'), `$1$2a=fmtp:${pt} ${extra}$2`);
}
