/** SDP offers written by hand for the test peers (as a phone or a trunk would send them). */
export function peerOffer(
  port: number,
  media: 'PCMU' | 'PCMA' | 'opus' | 'opus-dyn',
  opts?: { direction?: string; address?: string; ptime?: number; rtcpMux?: boolean },
): string {
  const addr = opts?.address ?? '127.0.0.1';
  const dir = opts?.direction ?? 'sendrecv';
  const lines = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=peer', `c=IN IP4 ${addr}`, 't=0 0'];
  if (media === 'PCMU') {
    lines.push(`m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16');
  } else if (media === 'PCMA') {
    lines.push(`m=audio ${port} RTP/AVP 8 101`, 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16');
  } else {
    const pt = media === 'opus' ? 111 : 98;
    lines.push(
      `m=audio ${port} RTP/AVP ${pt} 100`,
      `a=rtpmap:${pt} opus/48000/2`,
      `a=fmtp:${pt} useinbandfec=1;stereo=0`,
      'a=rtpmap:100 telephone-event/48000',
      'a=ptime:20',
    );
  }
  if (opts?.ptime !== undefined) {
    const i = lines.findIndex((l) => l.startsWith('a=ptime:'));
    if (i >= 0) lines.splice(i, 1);
    lines.push(`a=ptime:${opts.ptime}`);
  }
  if (opts?.rtcpMux) lines.push('a=rtcp-mux');
  lines.push(`a=${dir}`);
  return lines.join('\r\n') + '\r\n';
}
