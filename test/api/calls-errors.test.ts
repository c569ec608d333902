/**
 * The calls routes' refusals over real HTTP on the whole platform: 401 without a token, 403 for
 * another project's application, agent or call, 404 for unknown ids, 422 naming the field (bad or
 * premium numbers, missing agent line, an application without a callback URL, no caller ID), 409 for
 * a monitor on a call that is not live. Then a restart: records written before it are listed after
 * it, a call cut by the shutdown is stored as failed, and hangup on it answers its final status.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECIPIENT, adminToken, startCallsPlatform, startCarrier, until } from './calls-rig.js';
import { registeredPhone, tempDir, toneWav } from '../calls/phones.js';
import { Store } from '../../src/store/index.js';

t.setTimeout(90000);

t.test('every calls route refuses what it must', async (t) => {
  const dir = tempDir(t, 'api-calls-err-');
  const carrier = await startCarrier(t, dir, 'echo');
  const cp = await startCallsPlatform(t, { carrierPort: carrier.port, users: ['alice'] });
  const store = cp.tp.platform.store;
  const other = await store.projects.create('other');
  const otherToken = await adminToken(cp.tp.dataDir, other.id);
  await store.agents.create({ projectId: other.id, username: 'mallory', password: 'mallory-pw-123' });
  const ownApp = await store.applications.create({ projectId: cp.projectId, name: 'bot' });
  const foreignApp = await store.applications.create({ projectId: other.id, name: 'their bot' });
  const bridge = (extra: Record<string, unknown> = {}) => ({
    call_type: 'bridge',
    recipient_phone_number: RECIPIENT,
    inbound_phone_number: 'alice',
    ...extra,
  });
  const initiate = (body: unknown, token?: string | null) => cp.api('/api/v1/calls/initiate', { body, token });

  const cases: [string, unknown, number, RegExp, (string | null)?][] = [
    ['no token', bridge(), 401, /token/, null],
    ['bad token', bridge(), 401, /token/, 'sbp_nope'],
    ['no recipient', { call_type: 'bridge', inbound_phone_number: 'alice' }, 422, /^recipient_phone_number:/],
    ['recipient not E.164', bridge({ recipient_phone_number: '0612345678' }), 422, /^recipient_phone_number: must be an E\.164/],
    ['premium recipient', bridge({ recipient_phone_number: '+19005550123' }), 422, /^recipient_phone_number: premium/],
    ['no agent line', bridge({ inbound_phone_number: undefined }), 422, /^inbound_phone_number: required/],
    [
      'unknown agent',
      bridge({ inbound_phone_number: 'nobody' }),
      422,
      /^inbound_phone_number: not an E\.164 number nor one of your agents/,
    ],
    [
      "another project's agent",
      bridge({ inbound_phone_number: 'mallory' }),
      403,
      /^forbidden: inbound_phone_number is another project's agent/,
    ],
    ['premium agent line', bridge({ inbound_phone_number: '+33899123456' }), 422, /^inbound_phone_number: premium/],
    ['no call_type', { recipient_phone_number: RECIPIENT, inbound_phone_number: 'alice' }, 422, /^call_type:/],
    ['wrong call_type', bridge({ call_type: 'conference' }), 422, /^call_type:/],
    [
      'an application without a callback URL (agent_id)',
      { agent_id: ownApp.id, recipient_phone_number: RECIPIENT },
      422,
      /^agent_id: the application has no callback URL/,
    ],
    ["another project's application", { agent_id: foreignApp.id, recipient_phone_number: RECIPIENT }, 403, /^forbidden/],
    ['an unknown application', { agent_id: 999999, recipient_phone_number: RECIPIENT }, 404, /^agent_id: application not found/],
    [
      'a project without numbers',
      bridge({ inbound_phone_number: 'mallory' }),
      422,
      /^inbound_phone_number: the project has no number/,
      otherToken,
    ],
    ['malformed flags', bridge({ enable_recording: 'yes' }), 422, /^enable_recording:/],
  ];
  for (const [name, body, status, error, token] of cases) {
    const r = await initiate(body, token);
    t.equal(r.status, status, `initiate, ${name}: ${status}`);
    t.match(String(r.body.error), error, `initiate, ${name}: ${String(r.body.error)}`);
  }
  t.equal((await store.calls.list(cp.projectId)).total, 0, 'no refused request left a call record');
  t.equal(cp.tp.platform.calls.size, 0, 'nor a call');

  // Listing.
  t.equal((await cp.api('/api/v1/calls', { token: null })).status, 401, 'list without a token');
  t.match(await cp.api('/api/v1/calls?status=talking'), { status: 422, body: { error: /^status:/ } });
  t.match(await cp.api('/api/v1/calls?from=yesterday'), { status: 422, body: { error: /^from: must be an ISO-8601 date/ } });
  t.match(await cp.api('/api/v1/calls?per_page=501'), { status: 422, body: { error: /^per_page:/ } });

  // A call to act on: ended while ringing.
  const alice = await registeredPhone(t, cp.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880) });
  const incoming = alice.waitFor('CALL_INCOMING', 10000);
  const made = await initiate(bridge());
  t.equal(made.status, 201);
  const id = made.body.phone_call_id as number;
  await incoming;
  t.match(await cp.api(`/api/v1/calls/${id}/add_monitor`, { body: {} }), {
    status: 422,
    body: { error: /^supervisor_phone: required/ },
  });
  t.match(await cp.api(`/api/v1/calls/${id}/add_monitor`, { body: { supervisor_phone: '+19765550123' } }), {
    status: 422,
    body: { error: /^supervisor_phone: premium/ },
  });
  t.match(await cp.api(`/api/v1/calls/${id}/add_monitor`, { body: { supervisor_phone: 'mallory' } }), {
    status: 403,
    body: { error: /^forbidden: supervisor_phone/ },
  });
  t.equal((await cp.api(`/api/v1/calls/${id}/hangup`, { method: 'POST' })).body.call_status, 'canceled');
  t.match(await cp.api(`/api/v1/calls/${id}/add_monitor`, { body: { supervisor_phone: 'alice' } }), {
    status: 409,
    body: { error: /not live/ },
  });
  for (const path of [`/api/v1/calls/${id}`, `/api/v1/calls/${id}/hangup`, `/api/v1/calls/${id}/add_monitor`]) {
    const method = path.endsWith(`${id}`) ? 'GET' : 'POST';
    t.equal((await cp.api(path, { method, token: null })).status, 401, `${method} ${path} without a token`);
    t.equal(
      (await cp.api(path, { method, token: otherToken, ...(method === 'POST' ? { body: { supervisor_phone: 'alice' } } : {}) }))
        .status,
      403,
      `${method} ${path} with another project's token`,
    );
    t.equal((await cp.api(path.replace(String(id), '999999'), { method })).status, 404, `${method} ${path} unknown id`);
  }
  const listed = await cp.api(
    `/api/v1/calls?from=${encodeURIComponent(new Date(Date.now() - 60000).toISOString())}&status=canceled`,
  );
  t.equal((listed.body.calls as unknown[]).length, 1);
  t.match(listed.body, { has_more: false, calls: [{ phone_call_id: id, status: 'canceled' }] }, 'filtered by status and date');
  t.same((await cp.api(`/api/v1/calls?from=${encodeURIComponent(new Date(Date.now() + 60000).toISOString())}`)).body.calls, []);
  t.same((await cp.api('/api/v1/calls', { token: otherToken })).body.calls, [], 'another project lists none of them');
});

t.test('restart: records survive, a call cut by the shutdown is stored final, migrations are idempotent', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-calls-restart-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const dir = tempDir(t, 'api-calls-restart-');
  const carrier = await startCarrier(t, dir, 'echo');
  const first = await startCallsPlatform(t, { carrierPort: carrier.port, dataDir });
  const alice = await registeredPhone(t, first.tp, 'alice', { codecs: ['PCMU'], wav: toneWav(dir, 880) });
  const body = { call_type: 'bridge', recipient_phone_number: RECIPIENT, inbound_phone_number: 'alice' };
  const ended = (await first.api('/api/v1/calls/initiate', { body })).body.phone_call_id as number;
  await first.api(`/api/v1/calls/${ended}/hangup`, { method: 'POST' });
  const ringing = alice.waitFor('CALL_INCOMING', 10000);
  const cut = (await first.api('/api/v1/calls/initiate', { body })).body.phone_call_id as number;
  await ringing;
  t.ok(await until(async () => (await first.api(`/api/v1/calls/${cut}`)).body.status === 'ringing'));
  await first.tp.platform.stop();

  const second = await startCallsPlatform(t, { carrierPort: carrier.port, dataDir });
  const list = await second.api('/api/v1/calls', { token: first.token });
  t.equal(list.status, 200, 'the old token still works');
  t.equal((list.body.calls as unknown[]).length, 2);
  t.match(
    list.body,
    {
      has_more: false,
      calls: [
        { phone_call_id: cut, status: 'failed', sip_status: 503, reason: 'shutdown' },
        { phone_call_id: ended, status: 'canceled' },
      ],
    },
    'both records, newest first',
  );
  const h = await second.api(`/api/v1/calls/${cut}/hangup`, { method: 'POST', token: first.token });
  t.match([h.status, h.body.call_status], [200, 'failed'], 'hangup after the restart answers the final status');
  await second.tp.platform.stop();

  // Opening the same database again applies nothing and changes nothing.
  const store = await Store.open({ dataDir });
  t.equal((await store.calls.list(first.projectId)).total, 2);
  t.equal(
    store.schemaVersion,
    await Store.open({ dataDir }).then(async (s) => {
      const v = s.schemaVersion;
      await s.close();
      return v;
    }),
  );
  await store.close();
});
