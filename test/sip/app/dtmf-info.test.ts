import t from 'tap';
import { formatDtmfRelay, parseDtmfInfo } from '../../../sip/dtmf-info.js';

t.test('application/dtmf-relay', async (t) => {
  t.same(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n'), { digit: '5', durationMs: 160 });
  t.same(parseDtmfInfo('Application/DTMF-Relay; charset=x', 'signal = #\nduration= 250'), { digit: '#', durationMs: 250 });
  t.same(parseDtmfInfo('application/dtmf-relay', 'Signal=10\r\n'), { digit: '*', durationMs: 100 });
  t.same(parseDtmfInfo('application/dtmf-relay', 'Signal=11'), { digit: '#', durationMs: 100 });
  t.same(parseDtmfInfo('application/dtmf-relay', 'Signal=a\r\nDuration=-3'), { digit: 'A', durationMs: 100 });
  t.equal(parseDtmfInfo('application/dtmf-relay', 'Signal=Z'), undefined);
  t.equal(parseDtmfInfo('application/dtmf-relay', ''), undefined);
  t.same(parseDtmfInfo('application/dtmf-relay', formatDtmfRelay('9', 120)), { digit: '9', durationMs: 120 });
});

t.test('application/dtmf and other types', async (t) => {
  t.same(parseDtmfInfo('application/dtmf', '7\r\n'), { digit: '7', durationMs: 100 });
  t.same(parseDtmfInfo('application/dtmf', '*'), { digit: '*', durationMs: 100 });
  t.equal(parseDtmfInfo('application/dtmf', '77'), undefined);
  t.equal(parseDtmfInfo('text/plain', '5'), undefined);
  t.equal(parseDtmfInfo(undefined, 'Signal=5'), undefined);
});
