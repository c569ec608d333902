import t from 'tap';
import dgram from 'node:dgram';
import pino from 'pino';
import { OutboundRtpHeader, WebRtcSendPath, type SrtpTransportLike } from '../../../media/endpoints/webrtc-send-path.js';
import { udpNative } from '../../../media/endpoints/udp-native.js';
import type { HeaderLike } from '../../../media/endpoints/srtp-cipher.js';
import { until } from '../../helpers/wait.js';

const log = pino({ level: 'silent' });

async function bound(t: { teardown(fn: () => void): void }): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  t.teardown(() => sock.close());
  return sock;
}

/** A stand-in for werift's DTLS transport: "encrypts" by appending a marker, records its own sends. */
function transport(ice: dgram.Socket, to: number, opts: { nominated?: boolean; canSend?: boolean } = {}) {
  const viaWerift: Buffer[] = [];
  const pair = {
    remoteAddr: ['127.0.0.1', to] as const,
    protocol: { transport: { type: 'udp', closed: false, socket: ice } },
    packetsSent: 0,
    bytesSent: 0,
  };
  const tr: SrtpTransportLike = {
    srtp: { encrypt: (payload: Buffer, h: HeaderLike) => Buffer.concat([h.serialize(12), payload, Buffer.from('TAG')]) },
    bytesSent: 0,
    packetsSent: 0,
    iceTransport: {
      connection: {
        nominated: opts.nominated === false ? undefined : pair,
        canSendApplicationData: () => opts.canSend !== false,
      },
    },
    sendRtp: async (payload: Buffer) => {
      viaWerift.push(payload);
      return 0;
    },
  };
  return { tr, pair, viaWerift };
}

const header = (seq: number): OutboundRtpHeader =>
  Object.assign(new OutboundRtpHeader(), { payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 42 });

for (const via of ['native', 'dgram'] as const) {
  t.test(`${via}: SRTP goes out on the nominated pair's socket, to its remote address, counted in the stats`, async (t) => {
    const rx = await bound(t);
    const got: Array<{ data: Buffer; port: number }> = [];
    rx.on('message', (data, r) => got.push({ data, port: r.port }));
    const ice = await bound(t);
    const { tr, pair, viaWerift } = transport(ice, rx.address().port);
    if (via === 'native' && !udpNative) throw new Error('the UDP send addon is not built');
    const path = new WebRtcSendPath(log, via === 'native' ? udpNative : null);
    path.send(tr, header(1), Buffer.from('opus1'));
    path.send(tr, header(2), Buffer.from('opus2'));
    await until(() => got.length === 2);
    t.equal(path.lastVia, via);
    t.equal(viaWerift.length, 0, "not through werift's chain");
    t.equal(got[0].port, ice.address().port, 'from the ICE socket (the pair the browser checked)');
    t.equal(got[1].data.readUInt16BE(2), 2, 'our header');
    t.equal(got[1].data.subarray(12).toString(), 'opus2TAG', 'the transform output as is');
    t.equal(tr.packetsSent, 2);
    t.equal(pair.packetsSent, 2);
    t.equal(pair.bytesSent, tr.bytesSent);
  });
}

t.test("without a nominated pair the packet takes werift's way; while ICE forbids sending it is dropped", async (t) => {
  const ice = await bound(t);
  const path = new WebRtcSendPath(log, udpNative ?? null);
  const none = transport(ice, 9, { nominated: false });
  path.send(none.tr, header(1), Buffer.from('x'));
  t.equal(path.lastVia, 'werift');
  t.equal(none.viaWerift.length, 1);
  const barred = transport(ice, 9, { canSend: false });
  path.send(barred.tr, header(2), Buffer.from('y'));
  t.equal(barred.tr.packetsSent, 0, 'nothing sent, nothing counted');
  t.equal(barred.viaWerift.length, 0);
});
