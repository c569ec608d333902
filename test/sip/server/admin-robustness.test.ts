/**
 * Bad admin frames never crash the server: each gets a NOK/NO or closes only that connection, and
 * other connections keep working.
 */
import t from 'tap';
import { replayConnection } from './contract/raw-client.js';
import { SECRET, startServer } from './harness.js';

t.test('bad sip/proxy frames get NOK; the connection and server stay usable', async (t) => {
  const ts = await startServer(t);
  const frames = [
    `a1|authenticate|${SECRET}|`,
    'a2|sip||\r\nnot a sip message',
    'a3|sip|no-such-txn|\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n',
    'a4|sip|no-such-txn|\r\nCANCEL sip:x@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n',
    'a5|proxy|no-such-txn|remainInDialog|fullResponse||serial|||sip:127.0.0.1:9\r\nINVITE sip:127.0.0.1:9 SIP/2.0\r\n\r\n',
    'a6|sip||\r\nINVITE sip:nowhere.invalid SIP/2.0\r\nContent-Length: 0\r\n\r\n',
    'a7|sip||bogus-dialog\r\nACK sip:placeholder SIP/2.0\r\n\r\n',
    'a8|route|',
    'a9|ping',
  ].map((p) => `${Buffer.byteLength(p)}#${p}`);
  const r = await replayConnection(ts.adminPort, frames, (s) => s, 100);
  const byId = (id: string): string | undefined => r.frames.find((f) => f.split('|')[2] === id);
  t.match(byId('a1'), /\|OK\|/);
  t.match(byId('a2'), /\|NOK\|/);
  t.match(byId('a3'), /\|NOK\|Response not sent due to unknown transaction$/);
  t.match(byId('a4'), /\|NOK\|Response not sent due to unknown transaction$/);
  t.match(byId('a5'), /\|NOK\|/);
  t.match(byId('a6'), /\|NOK\|/, 'unresolvable destination is a NOK, not a crash');
  t.match(byId('a7'), /\|NOK\|Server error: unable to find dialog for dialog id provided$/);
  t.match(byId('a9'), /\|OK\|pong$/, 'still answering after the bad frames');
  t.notOk(r.closedByServer);
  const again = await replayConnection(ts.adminPort, ['9999999999#x'], (s) => s, 100);
  t.ok(again.closedByServer, 'an absurd length prefix closes that connection');
  const third = await replayConnection(ts.adminPort, [`${'p|ping'.length}#p|ping`], (s) => s, 100);
  t.match(third.frames[0], /\|OK\|pong$/, 'the server still serves new connections');
});
