import assert from 'node:assert/strict';
import { anyMatch, globMatch } from '../../../lib/sip/glob';
import { describeResults, superLinearCases } from '../../support/linear-time';

describe('screening patterns (glob)', () => {
  it('matches literals, prefixes with *, single characters with ?', () => {
    assert.equal(globMatch('1001', '1001'), true);
    assert.equal(globMatch('1001', '10011'), false);
    assert.equal(globMatch('1900*', '19005551234'), true);
    assert.equal(globMatch('1900*', '1800'), false);
    assert.equal(globMatch('sip:*@spam.example', 'sip:bob@spam.example'), true);
    assert.equal(globMatch('sip:*@spam.example', 'sip:bob@example.com'), false);
    assert.equal(globMatch('10?1', '1021'), true);
    assert.equal(globMatch('10?1', '101'), false);
    assert.equal(globMatch('*', ''), true);
    assert.equal(anyMatch(['900*', 'bob'], ['alice', 'bob']), true);
    assert.equal(anyMatch(['900*'], ['alice']), false);
  });

  it('costs no more than pattern x text on a pathological pattern (no backtracking blow-up)', () => {
    const bad = superLinearCases((s) => globMatch('*a*a*a*a*a*a*b', s), [{ name: 'a run of a with no b', input: (n) => 'a'.repeat(n) }], { base: 4000 });
    assert.deepEqual(bad, [], describeResults(bad));
  });
});
