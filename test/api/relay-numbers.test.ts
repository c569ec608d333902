/** Relay numbers: search the operator's unowned inventory, buy one with forward_to, list it, PATCH its relay; owned numbers are 422. */
import t from 'tap';
import { startTestApi, json } from '../helpers/api.js';

t.test("available, buy, list, PATCH; someone else's number is 422", async (t) => {
  const api = await startTestApi(t);
  await api.store.numbers.syncInventory([
    { number: '+14155550123', trunk: 'carrier', country: 'US', type: 'local', areaCode: '415' },
    { number: '+14155550177', trunk: 'carrier', country: 'US', type: 'local', areaCode: '415' },
    { number: '+12125550100', trunk: 'carrier', country: 'US', type: 'local', areaCode: '212' },
    { number: '+33159133354', trunk: 'carrier', country: 'FR', type: 'national' },
  ]);
  const a = await api.store.projects.create('a');
  const b = await api.store.projects.create('b');
  const ta = { authorization: `Bearer ${(await api.store.apiTokens.create(a.id)).token}` };
  const tb = { authorization: `Bearer ${(await api.store.apiTokens.create(b.id)).token}` };

  const search = await api.fetchJson('/api/v1/relay_numbers/available?country=US&type=local&area_code=415', { headers: ta });
  t.equal(search.status, 200);
  t.same(
    (search.body.available_numbers as { phone_number: string }[]).map((n) => n.phone_number),
    ['+14155550123', '+14155550177'],
  );
  t.match(search.body.available_numbers, [{ country: 'US', type: 'local', area_code: '415' }]);
  const contains = await api.fetchJson('/api/v1/relay_numbers/available?contains=0177', { headers: ta });
  t.same(
    (contains.body.available_numbers as { phone_number: string }[]).map((n) => n.phone_number),
    ['+14155550177'],
  );
  t.equal((await api.fetchJson('/api/v1/relay_numbers/available?type=satellite', { headers: ta })).status, 422);

  const buy = await api.fetchJson(
    '/api/v1/relay_numbers',
    json({ phone_number: '+14155550123', forward_to: '+33612345678', country: 'US' }, ta),
  );
  t.equal(buy.status, 201);
  t.match(buy.body, {
    id: Number,
    phone_number: '+14155550123',
    forward_to: '+33612345678',
    relay_enabled: true,
    target: { kind: 'forward', forward_to: '+33612345678' },
  });
  const after = await api.fetchJson('/api/v1/relay_numbers/available?area_code=415', { headers: tb });
  t.same(
    (after.body.available_numbers as { phone_number: string }[]).map((n) => n.phone_number),
    ['+14155550177'],
    'a bought number is no longer available',
  );

  const taken = await api.fetchJson(
    '/api/v1/relay_numbers',
    json({ phone_number: '+14155550123', forward_to: '+33700000000' }, tb),
  );
  t.same([taken.status, taken.body], [422, { error: 'phone_number: already owned' }], 'buying a number someone owns is 422');
  const again = await api.fetchJson(
    '/api/v1/relay_numbers',
    json({ phone_number: '+14155550123', forward_to: '+33700000000' }, ta),
  );
  t.equal(again.status, 422, 'even for its owner');
  const unknown = await api.fetchJson(
    '/api/v1/relay_numbers',
    json({ phone_number: '+14155559999', forward_to: '+33700000000' }, ta),
  );
  t.same(
    [unknown.status, unknown.body],
    [422, { error: 'phone_number: not in the available inventory' }],
    "only the operator's inventory can be bought",
  );
  t.equal(
    (await api.fetchJson('/api/v1/relay_numbers', json({ phone_number: '+14155550177', forward_to: 'my phone' }, ta))).status,
    422,
  );
  t.equal(
    (
      await api.fetchJson(
        '/api/v1/relay_numbers',
        json({ phone_number: '+14155550177', forward_to: '+33612345678', country: 'FR' }, ta),
      )
    ).status,
    422,
  );

  const id = buy.body.id as number;
  const patch = (body: unknown, who = ta) =>
    api.fetchJson(`/api/v1/relay_numbers/${id}`, { ...json(body, who), method: 'PATCH' });
  const p1 = await patch({ forward_to: '+33700000000', relay_enabled: false });
  t.match(
    [p1.status, p1.body],
    [200, { forward_to: '+33700000000', relay_enabled: false, target: { kind: 'forward', forward_to: '+33700000000' } }],
  );
  t.match((await patch({ relay_enabled: true })).body, { relay_enabled: true, forward_to: '+33700000000' });
  t.equal((await patch({ forward_to: '+33700000001' }, tb)).status, 403, 'another project cannot change it');
  const list = await api.fetchJson('/api/v1/relay_numbers', { headers: ta });
  t.match(list.body, { relay_numbers: [{ id, phone_number: '+14155550123', forward_to: '+33700000000', relay_enabled: true }] });
  t.same((await api.fetchJson('/api/v1/relay_numbers', { headers: tb })).body, { relay_numbers: [] });
});
