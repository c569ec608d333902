/** What the worker hands every endpoint it creates: identity, ports, addresses, logger and WebRTC settings. */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { PortAllocator } from '../port-allocator.js';

export interface EndpointContext {
  id: string;
  ports: PortAllocator;
  /** Local address sockets bind to. */
  address: string;
  /** Address written into SDP (c=). */
  advertisedAddress: string;
  logger: Logger;
  webrtc: Config['webrtc'];
  /** Longest an inbound packet waits behind a gap for a reordered one (`media.jitterBufferMs`). */
  jitterBufferMs?: number;
}
