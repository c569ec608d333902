import t from 'tap';
import { FrameDecoder, encodeFrame } from '../../../sip/server/drachtio/framing.js';
import { parseAppFrame, responseEchoFrame, requestEchoFrame, sipFrame } from '../../../sip/server/drachtio/messages.js';

t.test('frames are cut by byte length, across and within chunks', async (t) => {
  const d = new FrameDecoder();
  const got: string[] = [];
  d.on('frame', (f) => got.push(f));
  const a = encodeFrame('abc|route|invite');
  const b = encodeFrame('x|sip||\r\nINVITE sip:é@h SIP/2.0\r\n\r\n');
  t.equal(a.toString(), '16#abc|route|invite');
  const all = Buffer.concat([a, b]);
  for (let i = 0; i < all.length; i += 7) d.push(all.subarray(i, i + 7));
  t.same(got, ['abc|route|invite', 'x|sip||\r\nINVITE sip:é@h SIP/2.0\r\n\r\n']);
});

t.test('a non-numeric length prefix is an error', async (t) => {
  const d = new FrameDecoder();
  let err = '';
  d.on('error', (e) => {
    err = e.message;
  });
  d.push(Buffer.from('abc#hello'));
  t.equal(err, 'bad length prefix');
});

t.test('app frame leader parsing keeps empty fields', async (t) => {
  const f = parseAppFrame('id1|sip||d;from-tag=x\r\nBYE sip:placeholder SIP/2.0\r\n\r\n');
  t.equal(f.msgId, 'id1');
  t.equal(f.type, 'sip');
  t.same(f.fields, ['', 'd;from-tag=x']);
  t.equal(f.sip, 'BYE sip:placeholder SIP/2.0\r\n\r\n');
});

t.test('echo and sip leaders have the observed field counts', async (t) => {
  const w = { len: 10, protocol: 'udp', address: '127.0.0.1', port: 5070 };
  const r = responseEchoFrame('m', w, 'tx', 'dlg', Buffer.from('SIP/2.0 200 OK\r\n\r\n')).split('\r\n')[0]!.split('|');
  t.equal(r.length, 15);
  t.equal(r[13], 'Msg sent:');
  t.equal(r[14], '');
  const q = requestEchoFrame('m', w, 'tx', Buffer.from('X')).split('\r\n')[0]!.split('|');
  t.equal(q.length, 13);
  t.equal(q[11], 'Msg sent:');
  const s = sipFrame('network', w, 'tx', '', 'INVITE', { address: '127.0.0.1', port: 5060 }).split('\r\n')[0]!.split('|');
  t.same(s.slice(1, 7), ['sip', 'network', '10', 'udp', '127.0.0.1', '5070']);
  t.match(s[7], /^\d\d:\d\d:\d\d\.\d{6}$/);
  t.same(s.slice(8), ['tx', '', '127.0.0.1', '5060', '']);
});
