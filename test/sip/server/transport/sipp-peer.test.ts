import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSipp } from '../../../helpers/sipp.js';
import { startLayer } from './helpers.js';
import { SipResponse, type SipRequest } from '../../../../sip/server/message.js';
import type { TransportLayer } from '../../../../sip/server/transport/transport-layer.js';

/** sipp sends two broken requests (expecting 400 each) and then a good OPTIONS (expecting 200). */
const request = (cseq: string, extra: string, ruri = 'sip:svc@[remote_ip]:[remote_port]'): string => `
  <send><![CDATA[

OPTIONS ${ruri} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "sipp" <sip:probe@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
To: <sip:svc@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: ${cseq}
${extra}Content-Length: [len]

]]></send>`;

const SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="malformed requests then OPTIONS">
${request('1 OPTIONS', 'Max-Forwards: 70\n', 'sip:svc@[remote_ip]:99999')}
  <recv response="400"/>
${request('2 OPTIONS', 'Max-Forwards: many\n')}
  <recv response="400"/>
${request('3 OPTIONS', 'Max-Forwards: 70\nSubject: good one\n')}
  <recv response="200"/>
</scenario>
`;

function answerOptions(layer: TransportLayer): string[] {
  const seen: string[] = [];
  layer.on('message', (m, info) => {
    const req = m as SipRequest;
    seen.push(`${req.method} ${req.get('subject') ?? ''}`);
    const res = new SipResponse(200, 'OK');
    for (const n of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) res.append(n, req.get(n)!);
    res.set('To', `${req.get('to')!};tag=sb1`);
    void layer.send(res, { ...info.remote, ...(info.connectionId ? { connectionId: info.connectionId } : {}) });
  });
  return seen;
}

for (const [mode, transport] of [
  ['u1', 'udp'],
  ['t1', 'tcp'],
] as const) {
  t.test(`sipp over ${transport}: 400 for broken requests, then a normal OPTIONS`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-sipp-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'scenario.xml');
    writeFileSync(file, SCENARIO);
    const layer = await startLayer(t, [`${transport}:127.0.0.1:0`]);
    const seen = answerOptions(layer);
    const res = await runSipp(t, {
      scenario: file,
      remote: `127.0.0.1:${layer.listening()[0]!.port}`,
      transport: mode,
      calls: 3,
      timeoutMs: 15000,
    });
    t.equal(res.code, 0, `sipp exit code (errors: ${res.errors.slice(0, 400)})`);
    t.equal(res.successful, 3);
    t.same(seen, ['OPTIONS good one', 'OPTIONS good one', 'OPTIONS good one'], 'only the good requests were delivered');
  });
}
