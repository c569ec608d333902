/**
 * `sip.tls.cert`/`key` are PEM file paths (as the README says): TLS and WSS listeners start from
 * them and answer a phone's OPTIONS; an unreadable file stops start-up naming the setting.
 */
import t from 'tap';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { optionsRequest, responseStatus, selfSignedCert, startLocalPlatform, tempDir } from './support.js';

t.test('TLS and WSS listeners start from PEM files named in config and answer OPTIONS with 200', async (t) => {
  const files = selfSignedCert(tempDir(t));
  const platform = await startLocalPlatform(t, {
    sip: { listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0', 'wss:127.0.0.1:0'], tls: files },
  });
  const tlsAddr = platform.sipAddresses.find((a) => a.transport === 'tls');
  const wssAddr = platform.sipAddresses.find((a) => a.transport === 'wss');
  t.ok(tlsAddr && tlsAddr.port > 0, `TLS listener up (${tlsAddr?.port})`);
  t.ok(wssAddr && wssAddr.port > 0, `WSS listener up (${wssAddr?.port})`);

  // a TLS phone: handshake with the configured certificate, OPTIONS, 200
  const socket = tlsConnect({ host: '127.0.0.1', port: tlsAddr!.port, rejectUnauthorized: false });
  t.teardown(() => socket.destroy());
  await once(socket, 'secureConnect');
  t.match(socket.getPeerCertificate().subject, { CN: '127.0.0.1' }, 'the listener presents the certificate from the file');
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('utf8');
  });
  socket.write(optionsRequest('TLS', `127.0.0.1:${socket.localPort}`, `127.0.0.1:${tlsAddr!.port}`));
  await waitFor(() => responseStatus(received) !== undefined, 10000);
  t.equal(responseStatus(received), 200, 'OPTIONS over TLS answered 200');

  // a browser-style client over WSS with the sip subprotocol
  const ws = new WebSocket(`wss://127.0.0.1:${wssAddr!.port}`, 'sip', { rejectUnauthorized: false });
  t.teardown(() => ws.terminate());
  await once(ws, 'open');
  const answer = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
  ws.send(optionsRequest('WSS', 'client.invalid', `127.0.0.1:${wssAddr!.port}`));
  t.equal(responseStatus(await answer), 200, 'OPTIONS over WSS answered 200');
});

t.test('an unreadable certificate or key stops start-up naming the setting and the path', async (t) => {
  const dir = tempDir(t);
  const files = selfSignedCert(dir);
  const missing = join(dir, 'nope.pem');
  await t.rejects(startLocalPlatform(t, { sip: { listen: ['tls:127.0.0.1:0'], tls: { cert: missing, key: files.key } } }), {
    message: `sip.tls.cert: cannot read ${missing} (ENOENT)`,
  });
  const notPem = join(dir, 'key.txt');
  writeFileSync(notPem, 'not a key\n');
  await t.rejects(startLocalPlatform(t, { sip: { listen: ['tls:127.0.0.1:0'], tls: { cert: files.cert, key: notPem } } }), {
    message: `sip.tls.key: ${notPem} is not a PEM file`,
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
