import t from 'tap';
import { leadClause, trimLeadingSilence, trimTrailingSilence } from '../../src/speech/clause-split.js';

t.test('the opening clause: up to a comma within the first words, else the first four words', async (t) => {
  t.same(leadClause('Thank you for calling, please hold while we connect you.'), [
    'Thank you for calling,',
    'please hold while we connect you.',
  ]);
  t.same(leadClause('Your code is five three nine one two eight, thank you.'), [
    'Your code is five',
    'three nine one two eight, thank you.',
  ]);
  t.same(
    leadClause('Hi, welcome to the support line of our company.'),
    ['Hi, welcome to the', 'support line of our company.'],
    'a comma after fewer than three words makes too short a clause',
  );
  t.equal(leadClause('Press one for sales.'), undefined, 'a short sentence stays whole');
  t.equal(leadClause('One two three four five six.'), undefined);
  const words = 'a b c d e f g h'.split(' ');
  const [lead, rest] = leadClause(words.join(' '))!;
  t.same(`${lead} ${rest}`.split(' '), words, 'every word is kept, in order');
});

t.test('silence is trimmed at the join only down to what is asked, never into the sound', async (t) => {
  const rate = 1000;
  const pcm = new Int16Array(1000);
  pcm.fill(5000, 300, 700); // sound from 300 ms to 700 ms
  const lead = trimTrailingSilence(pcm, rate, 100);
  t.equal(lead.length, 800, 'trailing silence cut to 100 ms');
  const rest = trimLeadingSilence(pcm, rate, 60);
  t.equal(rest.length, 1000 - 240, 'leading silence cut to 60 ms');
  t.equal(rest[60], 5000, 'the sound starts 60 ms in');
  const silent = new Int16Array(500);
  t.equal(trimLeadingSilence(silent, rate, 10).length, 500, 'all silence is left as it is');
  t.equal(trimTrailingSilence(silent, rate, 10).length, 500);
  t.equal(trimTrailingSilence(pcm.subarray(0, 700), rate, 100).length, 700, 'nothing to trim');
});
