/**
 * RFC 3311 UPDATE in an early dialog on the outbound side: the app calls out (createUAC), the callee
 * rings and sends UPDATE before its final response. With a new offer it gets 491 (our INVITE's offer
 * waits for its answer in the final response), without one 200 with our Contact; before, both got 481.
 * The inbound side is tested on the whole platform (test/calls/update-early.test.ts).
 */
import t from 'tap';
import { startSipp } from '../../helpers/sipp.js';
import { SDP, connectSrf, scenario, startServer } from './harness.js';

t.test("createUAC: the callee's early UPDATE gets 491 with an offer, 200 without", async (t) => {
  const ts = await startServer(t);
  const srf = await connectSrf(t, ts);
  const b = await startSipp(t, { scenario: scenario('uas-ring-early-update.xml'), timeoutMs: 15000 });
  const err = await srf.createUAC(`sip:bob@127.0.0.1:${b.localPort}`, { localSdp: SDP }).then(
    () => null,
    (e: { status?: number }) => e,
  );
  t.equal(err?.status, 486, 'the call ends with the callee refusing it, the UPDATEs changed nothing');
  const r = await b.wait();
  t.equal(r.code, 0, `sipp-B: 491 to the UPDATE with an offer, 200 with Contact without: ${r.errors}${r.stderr}`);
});
