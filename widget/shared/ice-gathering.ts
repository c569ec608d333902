/**
 * When a browser phone's offer or answer may leave. Our media server speaks ICE over UDP only and
 * the widgets use no STUN or TURN server, so the host UDP candidates are all there is to wait for.
 * Chromium finds them in one burst (one per interface, within a few ms of each other); its TCP
 * candidates and "gathering complete" follow ~100 ms later, which would delay every call for
 * nothing. The SDP goes once the burst has been quiet for a moment. A candidate that misses it
 * costs nothing: the browser still checks from every local candidate once it has the answer, and
 * the server learns that address from the check (peer-reflexive, RFC 8445 §7.3.1.3).
 */
import type { SessionDescriptionHandler } from 'sip.js/lib/platform/web/index.js';

/** Quiet time after the last UDP candidate that ends the burst. */
const UDP_QUIET_MS = 8;
/** Longest wait after the first UDP candidate, however the candidates trickle in. */
const UDP_GATHER_MAX_MS = 40;

/** Makes `sdh` hand its SDP over once the host UDP candidates are in (see above). */
export function gatherUdpOnly(sdh: SessionDescriptionHandler): void {
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let cap: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(quiet);
    clearTimeout(cap);
    sdh.iceGatheringComplete();
  };
  sdh.peerConnectionDelegate = {
    onicecandidate: (e: RTCPeerConnectionIceEvent) => {
      const c = e.candidate;
      if (!c || done) return;
      if (c.protocol === 'tcp') return finish();
      if (c.protocol !== 'udp') return;
      cap ??= setTimeout(finish, UDP_GATHER_MAX_MS);
      clearTimeout(quiet);
      quiet = setTimeout(finish, UDP_QUIET_MS);
    },
  };
}
