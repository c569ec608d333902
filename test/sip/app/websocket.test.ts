import t from 'tap';
import { until } from '../../helpers/wait.js';
import { WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { DigestClient, pickChallenge } from '../../../sip/digest.js';
import { startStack } from './harness.js';
import { buildResponse, requestHeaders } from './udp-ua.js';

const SDP = [
  'v=0',
  'o=b 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

/** A browser-like SIP-over-WebSocket client (RFC 7118): Via host `.invalid`, Contact `;transport=ws`. */
class WsUa {
  readonly host = `${randomBytes(4).toString('hex')}.invalid`;
  readonly requests: string[] = [];
  onRequest?: (raw: string) => void;
  private waiters: { cseq: string; resolve: (raw: string) => void }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (!text.startsWith('SIP/2.0')) {
        this.requests.push(text);
        this.onRequest?.(text);
        return;
      }
      const status = Number(text.slice(8, 11));
      if (status < 200) return;
      const cseq = requestHeaders(text).get('cseq')?.[0] ?? '';
      const w = this.waiters.find((x) => x.cseq === cseq);
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(text);
      }
    });
  }
  request(lines: string[]): Promise<string> {
    const cseq = lines.find((l) => l.startsWith('CSeq: '))!.slice(6);
    const text = `${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
    return new Promise((resolve) => {
      this.waiters.push({ cseq, resolve });
      this.ws.send(text);
    });
  }
}

t.test('a browser registers over WebSocket and is called back over the same connection', async (t) => {
  const stack = await startStack(t, { ws: true });
  const ws = new WebSocket(`ws://127.0.0.1:${stack.wsPort}`, 'sip');
  t.teardown(() => ws.close());
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const ua = new WsUa(ws);
  const contact = `<sip:b0b@${ua.host};transport=ws>`;
  const base = (cseq: number) => [
    'REGISTER sip:switchboard.test SIP/2.0',
    `Via: SIP/2.0/WS ${ua.host};branch=z9hG4bK${randomBytes(5).toString('hex')}`,
    'Max-Forwards: 70',
    'From: <sip:bob@switchboard.test>;tag=ws1',
    'To: <sip:bob@switchboard.test>',
    'Call-ID: ws-reg-1',
    `CSeq: ${cseq} REGISTER`,
    `Contact: ${contact};expires=600`,
    'User-Agent: test-browser',
  ];
  const challenge = await ua.request(base(1));
  t.match(challenge, /^SIP\/2\.0 401/);
  const www = requestHeaders(challenge).get('www-authenticate') ?? [];
  const auth = new DigestClient({ username: 'bob', password: 'bob-pw' }).authorize(
    pickChallenge(www)!,
    'REGISTER',
    'sip:switchboard.test',
  );
  const ok = await ua.request([...base(2), `Authorization: ${auth}`]);
  t.match(ok, /^SIP\/2\.0 200/);
  const binding = stack.app.registrar.lookup('bob')[0]!;
  t.equal(binding.source.transport, 'ws');
  t.equal(binding.contact, `sip:b0b@${ua.host};transport=ws`);

  ua.onRequest = (raw) => {
    if (raw.startsWith('INVITE')) {
      ws.send(buildResponse(raw, 180, 'Ringing', { toTag: 'wsb' }));
      ws.send(buildResponse(raw, 200, 'OK', { toTag: 'wsb', contact, body: SDP }));
    } else if (raw.startsWith('BYE')) {
      ws.send(buildResponse(raw, 200, 'OK'));
    }
  };
  const leg = await stack.app.dial({ user: 'bob' }, { sdp: SDP }).leg;
  t.match(leg.remoteSdp, /opus\/48000\/2/);
  t.match(ua.requests[0] ?? '', new RegExp(`^INVITE sip:b0b@${ua.host};transport=ws SIP/2.0`));
  await until(() => ua.requests.some((r) => r.startsWith('ACK')));
  t.ok(
    ua.requests.some((r) => r.startsWith('ACK')),
    'ACK over the WebSocket',
  );
  await leg.hangup();
  await until(() => ua.requests.some((r) => r.startsWith('BYE')));
  t.ok(
    ua.requests.some((r) => r.startsWith('BYE')),
    'BYE over the WebSocket',
  );
});
