import t, { type Test } from 'tap';
import { until } from '../../../helpers/wait.js';
import tls from 'node:tls';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { nextMessage, options, readStreamMessages, startLayer } from './helpers.js';
import { parseMessage } from '../../../../sip/server/parser.js';
import { SipResponse } from '../../../../sip/server/message.js';

function selfSigned(t: Test): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

const tlsOptions = (id: string): string => options(id, `SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-${id}`);

t.test('TLS listener: framed messages in, response out on the same connection', async (t) => {
  const pair = selfSigned(t);
  const layer = await startLayer(t, ['tls:127.0.0.1:0'], { tls: pair });
  const local = layer.listening()[0]!;
  t.equal(local.transport, 'tls');
  const sock = tls.connect({ host: '127.0.0.1', port: local.port, ca: pair.cert });
  t.teardown(() => {
    sock.destroy();
  });
  await once(sock, 'secureConnect');
  t.ok(sock.authorized, 'certificate verified against the generated CA');
  const got: string[] = [];
  const infos: (string | undefined)[] = [];
  layer.on('message', (m, i) => {
    got.push(m.callId);
    infos.push(i.connectionId);
  });
  const two = Buffer.from(tlsOptions('tls-1') + tlsOptions('tls-2'));
  sock.write(two.subarray(0, 33));
  sock.write(two.subarray(33));
  await until(() => got.length >= 2, { timeoutMs: 5000 });
  t.same(got, ['tls-1', 'tls-2']);
  const res = new SipResponse(200, 'OK');
  res
    .append('Via', 'SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-tls-1')
    .append('From', '<sip:a@x>;tag=1')
    .append('To', '<sip:b@x>;tag=2')
    .append('Call-ID', 'tls-1')
    .append('CSeq', '1 OPTIONS');
  const wire = readStreamMessages(sock, 1);
  await layer.send(res, { transport: 'tls', host: '127.0.0.1', port: sock.localPort!, connectionId: infos[0]! });
  t.equal((parseMessage((await wire)[0]!) as SipResponse).status, 200);
});

t.test('TLS connect-out verifies the peer unless told otherwise', async (t) => {
  const pair = selfSigned(t);
  const server = await startLayer(t, ['tls:127.0.0.1:0'], { tls: pair });
  const strict = await startLayer(t, ['udp:127.0.0.1:0'], { tls: { ...pair } });
  const target = { ...server.listening()[0]! };
  await t.rejects(strict.send(parseMessage(tlsOptions('untrusted')), target), 'self-signed peer refused by default');
  const trusting = await startLayer(t, ['udp:127.0.0.1:0'], { tls: { ...pair, ca: pair.cert } });
  const got = nextMessage(server);
  await trusting.send(parseMessage(tlsOptions('trusted')), target);
  const [m, i] = await got;
  t.equal(m.callId, 'trusted');
  t.equal(i.remote.transport, 'tls');
});

t.test('WSS listener with subprotocol sip', async (t) => {
  const pair = selfSigned(t);
  const layer = await startLayer(t, ['wss:127.0.0.1:0'], { tls: pair });
  const ws = new WebSocket(`wss://127.0.0.1:${layer.listening()[0]!.port}`, 'sip', { ca: pair.cert });
  t.teardown(() => ws.terminate());
  await once(ws, 'open');
  const got = nextMessage(layer);
  ws.send(options('wss-1', 'SIP/2.0/WSS abc.invalid;branch=z9hG4bK-wss-1'));
  const [m, info] = await got;
  t.equal(m.callId, 'wss-1');
  t.equal(info.remote.transport, 'wss');
  const closed = once(layer, 'connection-closed');
  ws.close();
  t.equal((await closed)[0].connectionId, info.connectionId);
});

t.test('tls/wss listeners without a certificate fail to start', async (t) => {
  await t.rejects(startLayer(t, ['tls:127.0.0.1:0']), /needs a certificate/);
});

t.test('wss: an upgraded connection outlives the handshake deadline', async (t) => {
  const pair = selfSigned(t);
  const layer = await startLayer(t, ['wss:127.0.0.1:0'], { tls: pair, connections: { headerTimeoutMs: 300, idleTimeoutMs: 0 } });
  const ws = new WebSocket(`wss://127.0.0.1:${layer.listening()[0]!.port}`, 'sip', { ca: pair.cert });
  t.teardown(() => ws.terminate());
  await once(ws, 'open');
  await new Promise((r) => setTimeout(r, 800));
  t.equal(ws.readyState, ws.OPEN, 'still open after more than the handshake deadline');
  const got = nextMessage(layer);
  ws.send(options('wss-late', 'SIP/2.0/WSS abc.invalid;branch=z9hG4bK-wss-late'));
  const [m] = await got;
  t.equal(m.callId, 'wss-late');
});
