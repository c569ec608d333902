/** Where a request received through drachtio really came from (not what its headers claim). */
import type Srf from 'drachtio-srf';
import type { BindingSource } from './registrar.js';

export function sourceOf(req: Srf.SrfRequest): BindingSource {
  return {
    transport: (req.protocol || 'udp').toLowerCase(),
    host: req.source_address,
    port: Number(req.source_port) || 5060,
  };
}

/**
 * The outbound-proxy URI that makes the SIP server send a request back through the flow a
 * binding came in on (the NAT pinhole, or the browser's WebSocket), whatever the Contact says.
 */
export function proxyUriFor(source: BindingSource): string {
  const host = source.host.includes(':') ? `[${source.host}]` : source.host;
  return `sip:${host}:${source.port};transport=${source.transport}`;
}
