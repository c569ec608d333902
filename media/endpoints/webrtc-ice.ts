/**
 * ICE settings for the WebRTC endpoint: which host addresses we offer, which STUN/TURN
 * servers werift talks to, and the SDP rewrite for a server behind 1:1 NAT.
 *
 * werift gathers on every non-loopback interface and binds each ICE socket on 0.0.0.0; it can
 * add extra host addresses (loopback among them) but not drop interfaces. So we let it gather,
 * then keep only the configured addresses: candidates for other interfaces are removed from
 * the SDP and pairs using them are never checked.
 */
import os from 'node:os';
import { isIP } from 'node:net';
import type { Config } from '../../config/schema.js';

export type WebRtcSettings = Config['webrtc'];

export interface IceServerConfig {
  urls: string;
  username?: string;
  credential?: string;
}

export interface IcePlan {
  /** Host addresses whose candidates we keep; undefined = every address werift found. */
  allowed: Set<string> | undefined;
  /** Passed to werift so loopback (or an address werift would skip) gets a socket too. */
  additionalHostAddresses: string[];
  iceServers: IceServerConfig[];
  /** Replaces host candidate addresses in the SDP (NAT); undefined = leave them. */
  advertisedAddress: string | undefined;
}

function stunUrl(s: string): string {
  return /^stuns?:/i.test(s) ? s : `stun:${s}`;
}

export function planIce(settings: WebRtcSettings): IcePlan {
  const configured = settings.iceAddresses.filter((a) => isIP(a) !== 0);
  const loopback = settings.includeLoopback ? ['127.0.0.1'] : [];
  let allowed: Set<string> | undefined;
  if (configured.length > 0) {
    allowed = new Set([...configured, ...loopback]);
  }
  // Addresses werift would not find on its own (loopback, or a configured address it filters).
  const discovered = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .filter((i): i is os.NetworkInterfaceInfo => !!i && !i.internal)
      .map((i) => i.address),
  );
  const additionalHostAddresses = [...loopback, ...configured.filter((a) => !discovered.has(a) && !loopback.includes(a))];
  const iceServers: IceServerConfig[] = [
    ...settings.stunServers.map((s) => ({ urls: stunUrl(s) })),
    ...settings.turnServers.map((t) => ({
      urls: t.urls,
      ...(t.username !== undefined ? { username: t.username } : {}),
      ...(t.credential !== undefined ? { credential: t.credential } : {}),
    })),
  ];
  return { allowed, additionalHostAddresses, iceServers, advertisedAddress: settings.advertisedAddress };
}

const LOOPBACK = /^(127\.|::1$)/;

/**
 * Filters and rewrites the `a=candidate` lines of a local description. With an advertised
 * address, each non-loopback host candidate is announced under that address instead, and the
 * `c=` line follows, so a browser outside the NAT reaches us through the mapped port.
 */
export function rewriteLocalSdp(sdp: string, plan: IcePlan): string {
  const lines = sdp.split(/\r\n|\n/);
  const out: string[] = [];
  let firstCandidateAddress: string | undefined;
  let firstCandidatePort: string | undefined;
  for (const line of lines) {
    // Gathering is complete before any SDP leaves us: nothing will trickle.
    if (line === 'a=ice-options:trickle') continue;
    if (line.startsWith('a=candidate:')) {
      const parts = line.split(' ');
      const address = parts[4];
      const type = parts[7];
      if (address === undefined) continue;
      if (type === 'host' && plan.allowed && !plan.allowed.has(address)) continue;
      firstCandidatePort ??= parts[5];
      if (type === 'host' && plan.advertisedAddress && !LOOPBACK.test(address)) {
        parts[4] = plan.advertisedAddress;
        out.push(parts.join(' '));
        firstCandidateAddress ??= plan.advertisedAddress;
        continue;
      }
      firstCandidateAddress ??= address;
    }
    out.push(line);
  }
  if (firstCandidateAddress) {
    const family = isIP(firstCandidateAddress) === 6 ? 'IP6' : 'IP4';
    for (let i = 0; i < out.length; i++) {
      if (out[i]!.startsWith('c=IN ')) out[i] = `c=IN ${family} ${firstCandidateAddress}`;
      // SIP peers and B2BUAs read the default destination from m= and c= (RFC 8839 §4.2.1.1).
      else if (firstCandidatePort && /^m=audio 9 /.test(out[i]!))
        out[i] = out[i]!.replace(/^m=audio 9 /, `m=audio ${firstCandidatePort} `);
    }
  }
  return out.join('\r\n');
}

/** Remote candidates werift cannot use (mDNS `.local` names when the browser hides its IP, TCP). */
export function usableRemoteSdp(sdp: string): string {
  return sdp
    .split(/\r\n|\n/)
    .filter((l) => !(l.startsWith('a=candidate:') && (/ \S+\.local /.test(l) || / tcp /i.test(l))))
    .join('\r\n');
}
