/**
 * SRTP packet index and replay list (RFC 3711 §3.3.1, §3.3.2): the rollover counter follows the
 * sequence across its wrap in both orders, a packet seen before or older than the window is
 * refused, and only an accepted (authenticated) packet moves the window.
 */
import t from 'tap';
import { SrtpInboundIndex } from '../../../media/endpoints/srtp-index.js';

t.test('in order, then across the wrap', async (t) => {
  const ix = new SrtpInboundIndex(0, 65530);
  for (let seq = 65531; seq < 65536; seq++) {
    const i = ix.estimate(seq);
    t.equal(i, seq);
    ix.accept(i);
  }
  const i0 = ix.estimate(0);
  t.equal(i0, 65536, 'seq 0 after 65535 is the next rollover');
  ix.accept(i0);
  t.equal(ix.roc, 1);
  t.equal(ix.lastSequence, 0);
  t.equal(ix.estimate(5), 65536 + 5);
});

t.test('a late packet from before the wrap keeps its own rollover counter', async (t) => {
  const ix = new SrtpInboundIndex(3, 2);
  t.equal(ix.estimate(65534), 2 * 65536 + 65534, 'ROC - 1 for a number just behind the wrap');
  ix.accept(2 * 65536 + 65534);
  t.equal(ix.roc, 3, 'an older packet does not move the counter back');
  t.equal(ix.lastSequence, 2);
});

t.test('a packet ahead of a wrap that was not seen yet: ROC + 1', async (t) => {
  const ix = new SrtpInboundIndex(0, 65000);
  t.equal(ix.estimate(10), 65536 + 10);
});

t.test('replays and packets older than the window are refused', async (t) => {
  const ix = new SrtpInboundIndex(0, 1000);
  t.equal(ix.estimate(1000), -1, 'the packet the index started from');
  ix.accept(ix.estimate(1001));
  ix.accept(ix.estimate(1003));
  t.equal(ix.estimate(1001), -1, 'replay of an accepted packet');
  t.equal(ix.estimate(1003), -1, 'replay of the highest');
  t.equal(ix.estimate(1002), 1002, 'a reordered packet not seen yet is welcome');
  ix.accept(1002);
  t.equal(ix.estimate(1002), -1, 'but only once');
  ix.accept(ix.estimate(1200));
  t.equal(ix.estimate(1050), -1, 'older than the 128-packet window');
  t.equal(ix.estimate(1100), 1100, 'inside the window, not seen');
  t.equal(ix.estimate(1003 + 128), 1131, "1003's bit was cleared as the window moved past it");
});

t.test('only accept() moves the window: a forged packet that failed authentication does not', async (t) => {
  const ix = new SrtpInboundIndex(0, 500);
  const forged = ix.estimate(30000);
  t.equal(forged, 30000, 'a forged far-ahead number is estimated');
  // not accepted: the genuine next packet is still in order
  t.equal(ix.estimate(501), 501);
  t.equal(ix.lastSequence, 500);
});

t.test('a big jump ahead clears the whole window', async (t) => {
  const ix = new SrtpInboundIndex(0, 100);
  ix.accept(101);
  ix.accept(ix.estimate(20000));
  t.equal(ix.estimate(19999), 19999, 'behind the new highest, not seen');
  t.equal(ix.estimate(20000 - 128), -1, 'out of the window');
  t.equal(ix.estimate(20000), -1);
});

t.test('ROC 0 and a number far behind: there is no rollover -1', async (t) => {
  const ix = new SrtpInboundIndex(0, 10);
  t.equal(ix.estimate(65000), -1);
});
