import type { EndpointKind } from '../../media/types.js';

/** A browser's offer uses DTLS-SRTP over ICE; everything else is plain RTP. */
export function endpointKindForOffer(sdp: string): EndpointKind {
  return /^m=audio \d+ (UDP\/TLS\/RTP\/SAVPF|RTP\/SAVPF)/m.test(sdp) || /^a=fingerprint:/m.test(sdp) ? 'webrtc' : 'rtp';
}

/** A registration over WebSocket is a browser; it needs a WebRTC offer. */
export function endpointKindForTransport(transport: string | undefined): EndpointKind {
  return transport === 'ws' || transport === 'wss' ? 'webrtc' : 'rtp';
}
