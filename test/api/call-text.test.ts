/** The calls API's hand-written JSON writer says exactly what JSON.stringify says, for every kind of field value. */
import t from 'tap';
import { callJson, type CallJson } from '../../api/routers/calls.js';
import { callPageText, callRowsPageText, callText, hangupText } from '../../api/call-text.js';
import { forEachDialect } from '../helpers/stores.js';
import type { CallRecord } from '../../src/store/index.js';

const base: CallRecord = {
  id: 7,
  projectId: 1,
  direction: 'outbound',
  from: '+14155550100',
  to: '+33612345678',
  status: 'completed',
  sipStatus: 200,
  reason: null,
  telephonyRef: 'CAabc',
  cableTokenHash: 'h',
  recordingPath: null,
  enableRecording: false,
  enableTranscription: true,
  enableAnalysis: false,
  agentId: null,
  applicationId: null,
  numberId: null,
  createdAt: '2026-12-02T03:00:00.000Z',
  answeredAt: null,
  endedAt: '2026-12-02T03:01:00.000Z',
  duration: 60,
  legs: [],
};

const variants: [string, Partial<CallRecord>][] = [
  ['plain', {}],
  ['all nulls', { from: null, to: null, sipStatus: null, telephonyRef: null, endedAt: null, duration: null }],
  ['quotes and backslashes', { from: 'say "hi" \\ there', reason: 'a\\"b' }],
  ['control characters', { reason: 'line\nbreak\ttab\u0000nul\u001f' }],
  ['non-ASCII and emoji', { from: 'Zoë 📞', to: '日本' }],
  ['lone surrogates', { reason: 'broken \ud800 and \udfff' }],
  ['U+2028/2029', { reason: 'sep\u2028par\u2029' }],
  ['html-ish', { from: '</script><b>' }],
  ['recording and flags', { recordingPath: '/x.wav', enableRecording: true, enableAnalysis: true }],
  [
    'legs',
    {
      legs: [
        { role: 'caller', sip: { status: 200 }, note: 'é"' },
        { role: 'callee', n: null },
      ],
    },
  ],
  ['odd numbers', { duration: 0, sipStatus: -1, id: 2 ** 53 - 1 }],
];

t.test('one call', async (t) => {
  for (const [name, v] of variants) {
    const j = callJson({ ...base, ...v });
    t.equal(callText(j), JSON.stringify(j), name);
  }
});

t.test('non-finite numbers are written as null, as JSON.stringify does', async (t) => {
  const j: CallJson = { ...callJson(base), duration: Number.NaN, sip_status: Number.POSITIVE_INFINITY };
  t.equal(callText(j), JSON.stringify(j));
});

t.test('a page and a hangup answer', async (t) => {
  const calls = variants.map(([, v]) => callJson({ ...base, ...v }));
  for (const page of [
    { calls, page: 1, per_page: 50, has_more: true },
    { calls: [], page: 3, per_page: 10, has_more: false },
  ])
    t.equal(callPageText(page), JSON.stringify(page), `${page.calls.length} calls`);
  const h = { status: 'success' as const, phone_call_id: 7, call_status: 'canceled', call: calls[3]! };
  t.equal(hangupText(h), JSON.stringify(h));
});

/**
 * `GET /calls` writes its page from the store's listing rows (`callRowsPageText`), not from records:
 * for every kind of stored value it must say what `callJson` of the same records says.
 */
forEachDialect(t, 'a page written from stored rows', async (t, { open }) => {
  const s = await open();
  const p = await s.projects.create('rows');
  const ids: number[] = [];
  for (const [name, v] of variants) {
    const c = await s.calls.insert({
      projectId: p.id,
      direction: name === 'plain' ? 'inbound' : 'outbound',
      from: v.from === undefined ? base.from : v.from,
      to: v.to === undefined ? base.to : v.to,
      telephonyRef: v.telephonyRef === undefined ? base.telephonyRef : v.telephonyRef,
      enableRecording: v.enableRecording,
      enableTranscription: v.enableTranscription ?? base.enableTranscription,
      enableAnalysis: v.enableAnalysis,
    });
    if (v.legs) await s.calls.setLegs(c.id, v.legs);
    if (v.recordingPath) await s.calls.setRecording(c.id, v.recordingPath);
    if (v.reason !== undefined || v.sipStatus !== undefined)
      await s.calls.updateStatus(c.id, {
        status: 'in-progress',
        reason: v.reason?.replace('\u0000', '\u0001') ?? null,
        sipStatus: v.sipStatus ?? null,
      });
    if (name !== 'all nulls') await s.calls.updateStatus(c.id, { status: 'completed', sipStatus: 200 });
    ids.push(c.id);
  }
  for (const q of [{}, { limit: 4, offset: 2 }, { status: 'completed' as const, limit: 3 }, { direction: 'inbound' as const }]) {
    const records = await s.calls.page(p.id, q);
    const rows = await s.calls.listing(p.id, q);
    t.equal(rows.hasMore, records.hasMore, `${JSON.stringify(q)}: has_more`);
    // Past the first page the page's ids are found first (a deferred join): the same calls as a plain OFFSET.
    t.same(
      rows.rows.map((r) => r[0]),
      (await s.calls.list(p.id, q)).calls.map((c) => c.id),
      `${JSON.stringify(q)}: the calls a plain OFFSET finds, in order`,
    );
    const page = { page: 2, per_page: q.limit ?? 50, has_more: rows.hasMore };
    t.equal(
      callRowsPageText({ rows: rows.rows, ...page }),
      JSON.stringify({ calls: records.calls.map(callJson), ...page }),
      `${JSON.stringify(q)}: ${records.calls.length} calls, byte for byte`,
    );
  }
  t.ok((await s.calls.listing(p.id)).rows.length === ids.length, 'every call listed');
});
