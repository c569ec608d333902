import type { Test } from 'tap';
import { once } from 'node:events';
import {
  TransportLayer,
  parseListenSpec,
  type ReceivedInfo,
  type TransportLayerOptions,
} from '../../../../sip/server/transport/transport-layer.js';
import type { SipRequest, SipResponse } from '../../../../sip/server/message.js';

export async function startLayer(t: Test, listen: string[], extra: Partial<TransportLayerOptions> = {}): Promise<TransportLayer> {
  const layer = new TransportLayer({ listen: listen.map(parseListenSpec), ...extra });
  t.teardown(() => layer.close());
  await layer.start();
  return layer;
}

export function nextMessage(layer: TransportLayer, timeoutMs = 3000): Promise<[SipRequest | SipResponse, ReceivedInfo]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      layer.off('message', on);
      reject(new Error('no SIP message arrived'));
    }, timeoutMs);
    const on = (m: SipRequest | SipResponse, i: ReceivedInfo): void => {
      clearTimeout(timer);
      layer.off('message', on);
      resolve([m, i]);
    };
    layer.on('message', on);
  });
}

export function options(callId: string, via = 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-' + callId, extra = ''): string {
  return (
    `OPTIONS sip:svc@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nFrom: "Probe" <sip:probe@127.0.0.1>;tag=p1\r\n` +
    `To: <sip:svc@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n${extra}Content-Length: 0\r\n\r\n`
  );
}

/** Resolves with the first `n` SIP messages a byte stream carries (Content-Length framing, for test peers). */
export function readStreamMessages(
  chunks: AsyncIterable<Buffer> | NodeJS.EventEmitter,
  n: number,
  timeoutMs = 3000,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const out: string[] = [];
    const src = chunks as NodeJS.EventEmitter;
    const timer = setTimeout(() => {
      src.off('data', on);
      reject(new Error(`got ${out.length} of ${n} messages: ${JSON.stringify(buf)}`));
    }, timeoutMs);
    const on = (d: Buffer): void => {
      buf += d.toString();
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const cl = Number(/\r\n(?:content-length|l)\s*:\s*(\d+)/i.exec(buf.slice(0, end + 2))?.[1] ?? 0);
        if (buf.length < end + 4 + cl) break;
        out.push(buf.slice(0, end + 4 + cl));
        buf = buf.slice(end + 4 + cl);
      }
      if (out.length >= n) {
        clearTimeout(timer);
        src.off('data', on);
        resolve(out.slice(0, n));
      }
    };
    src.on('data', on);
  });
}

export { once };
