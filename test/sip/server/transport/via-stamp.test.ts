import t from 'tap';
import { stampViaText } from '../../../../sip/server/transport/via-stamp.js';
import { parseListenSpec } from '../../../../sip/server/transport/transport-layer.js';

const from = (host: string, port: number) => ({ transport: 'udp' as const, host, port });

t.test('RFC 3581 stamping of the top Via, as drachtio-server does it', async (t) => {
  // b1 #13 -> #15: no rport asked, rport=<port> appended anyway; same IP, no received
  t.equal(
    stampViaText('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-0', from('127.0.0.1', 5070)),
    'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-13267-1-0;rport=5070',
  );
  t.equal(
    stampViaText('SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKx', from('127.0.0.1', 40000)),
    'SIP/2.0/UDP 127.0.0.1;rport=40000;branch=z9hG4bKx',
  );
  t.equal(
    stampViaText('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKx;rport', from('203.0.113.9', 61000)),
    'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKx;rport=61000;received=203.0.113.9',
  );
  t.equal(
    stampViaText('SIP/2.0/UDP h.example.com;rportx=1;branch=z9hG4bKx;received=1.1.1.1', from('192.0.2.1', 5)),
    'SIP/2.0/UDP h.example.com;rportx=1;branch=z9hG4bKx;received=192.0.2.1;rport=5',
  );
  t.equal(
    stampViaText('SIP/2.0/UDP [::1]:5070;branch=z9hG4bKx', from('::1', 5070)),
    'SIP/2.0/UDP [::1]:5070;branch=z9hG4bKx;rport=5070',
  );
  t.equal(
    stampViaText('SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKx', from('::1', 7)),
    'SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKx;rport=7;received=::1',
  );
  t.equal(stampViaText('not a via', from('::1', 7)), undefined);
});

t.test('parseListenSpec', async (t) => {
  t.same(parseListenSpec('udp:127.0.0.1:5060'), { transport: 'udp', host: '127.0.0.1', port: 5060 });
  t.same(parseListenSpec('ws:[::1]:8088'), { transport: 'ws', host: '::1', port: 8088 });
  t.same(parseListenSpec('TLS:0.0.0.0:5061'), { transport: 'tls', host: '0.0.0.0', port: 5061 });
  t.same(parseListenSpec('wss:localhost:0'), { transport: 'wss', host: 'localhost', port: 0 });
  for (const bad of ['', 'udp', 'udp:127.0.0.1', 'sctp:1.2.3.4:5060', 'udp:::1:5060', 'udp:1.2.3.4:70000', 'udp:1.2.3.4:x']) {
    t.throws(() => parseListenSpec(bad), { name: 'SipParseError' }, bad);
  }
});
