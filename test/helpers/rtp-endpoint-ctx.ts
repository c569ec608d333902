/** The context an RTP endpoint needs when a test makes one in its own process (no media worker). */
import pino from 'pino';
import type { PortAllocator } from '../../media/port-allocator.js';

export function rtpEndpointContext(id: string, ports: PortAllocator) {
  return {
    id,
    ports,
    address: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    webrtc: { iceAddresses: [], includeLoopback: true, stunServers: [], turnServers: [] },
  };
}
