/**
 * Datagrams too short or malformed to be RTP/RTCP, sent to the RTP and RTCP ports of both legs
 * of a live bridged call, are dropped quietly: nothing is logged at warn or above (before they
 * were checked, a 0-1 byte datagram on an RTCP port threw inside the parser and the worker
 * logged 'uncaught exception in media worker') and the call's audio keeps flowing.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { peakFrequency } from '../../media/unit/spectrum.js';
import type { CodecSpec } from '../../../media/types.js';
import { LoggedMediaServer } from './logged-server.js';
import { sleep } from './server-fixture.js';

const PCMU: CodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };

/** 0, 1, 2 and 7 bytes; RTP- and RTCP-looking first bytes; RTCP whose length runs past the end. */
function junk(): Buffer[] {
  const out: Buffer[] = [];
  for (const n of [0, 1, 2, 7]) {
    out.push(Buffer.alloc(n), Buffer.alloc(n, 0x80));
    if (n >= 2)
      out.push(Buffer.from([0x80, 200, 0, 6, 1, 2, 3].slice(0, n)), Buffer.from([0x81, 201, 0xff, 0xff, 9, 9, 9].slice(0, n)));
  }
  // Headers that claim more than the datagram holds: CSRCs, an extension, padding, RTCP length.
  out.push(Buffer.from([0x8f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]));
  out.push(Buffer.from([0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff]));
  out.push(Buffer.from([0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff]));
  out.push(Buffer.from([0x80, 200, 0, 9, 0, 0, 0, 1]));
  return out;
}

t.test('short and malformed datagrams on RTP and RTCP ports during a bridged call', async (t) => {
  const [pa, pb] = await Promise.all([RtpPeer.start(), RtpPeer.start()]);
  const server = await LoggedMediaServer.start(pa.port, pb.port);
  const sock = dgram.createSocket('udp4');
  t.teardown(() => {
    pa.close();
    pb.close();
    server.close();
    sock.close();
  });

  const sending = pa.send({
    remote: { address: '127.0.0.1', port: server.ports.a },
    codec: PCMU,
    toneHz: 1000,
    durationMs: 2000,
  });
  await sleep(300);
  let sent = 0;
  for (let round = 0; round < 20; round++) {
    for (const d of junk()) {
      for (const port of [server.ports.a, server.ports.a + 1, server.ports.b, server.ports.b + 1]) {
        sock.send(d, port, '127.0.0.1');
        sent++;
      }
    }
    await sleep(50);
  }
  await sending;
  await sleep(300);

  const heard = Int16Array.from((await pb.report(PCMU)).pcm.slice(8000 * 0.5));
  t.ok(heard.length > 8000, `the other leg kept receiving audio (${heard.length} samples)`);
  t.ok(Math.abs(peakFrequency(heard, 8000, 200, 3500) - 1000) <= 20, 'and it is still the 1 kHz tone');
  const bad = server.lines().filter((l) => l.level >= 40);
  t.same(bad, [], `nothing logged at warn or above for ${sent} junk datagrams`);
  t.ok(
    server.lines().some((l) => l.msg === 'media server started'),
    'the log was captured',
  );
});
