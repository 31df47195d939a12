import assert from 'node:assert/strict';
import { guards } from '../../../lib/bus';
import { describeResults, pathologicalInputs, superLinearCases } from '../../support/linear-time';

const { arr, bool, int, obj, oneOf, optional, str, nullable } = guards;

describe('bus guards', () => {
  it('accept what the shape says and return it typed', () => {
    const g = obj({ id: str({ max: 8, charset: 'token' }), n: int({ min: 0, max: 9 }), ok: bool, side: oneOf(['caller', 'callee'] as const),
      list: arr(str({ max: 4 }), { max: 2 }), note: optional(str({ max: 4 })), maybe: nullable(int({ min: 0, max: 1 })) });
    assert.deepEqual(g({ id: 'a.b-c_d', n: 3, ok: true, side: 'callee', list: ['x'], maybe: null }, 'args'),
      { id: 'a.b-c_d', n: 3, ok: true, side: 'callee', list: ['x'], maybe: null });
  });

  it('refuse each malformed field, naming it', () => {
    const g = obj({ id: str({ max: 8, charset: 'token' }), n: int({ min: 0, max: 9 }), note: optional(str({ max: 4 })) });
    const cases: Array<[unknown, RegExp]> = [
      [null, /args must be an object/],
      [[], /args must be an object/],
      [{ id: 'a', n: 1, extra: 1 }, /unknown field 'extra'/],
      [{ n: 1 }, /args\.id must be a string/],
      [{ id: '', n: 1 }, /args\.id must have 1\.\.8/],
      [{ id: 'a b', n: 1 }, /args\.id has characters outside the token set/],
      [{ id: 'a:b', n: 1 }, /token set/],
      [{ id: 'a', n: 1.5 }, /args\.n must be an integer/],
      [{ id: 'a', n: 10 }, /args\.n must be in 0\.\.9/],
      [{ id: 'a', n: 1, note: 'toolong' }, /args\.note must have/],
      [{ id: 'a', n: '1' }, /args\.n must be an integer/],
    ];
    for (const [v, re] of cases) assert.throws(() => g(v, 'args'), (err: Error) => err.name === 'GuardError' && re.test(err.message), JSON.stringify(v));
  });

  it('printable refuses control characters and spaces; arrays are bounded', () => {
    assert.throws(() => str({ max: 10 })('a\nb', 'x'), /printable/);
    assert.throws(() => str({ max: 10 })('a b', 'x'), /printable/);
    assert.equal(str({ max: 10, charset: 'any' })('a b\n', 'x'), 'a b\n');
    assert.throws(() => arr(int({ min: 0, max: 1 }), { max: 2 })([0, 1, 0], 'x'), /0\.\.2 items/);
  });

  it('cost grows linearly with the input (no backtracking)', () => {
    const token = str({ max: 1 << 20, charset: 'token' });
    const bad = superLinearCases((s) => token(s, 'x'), pathologicalInputs(['', 'a']));
    assert.equal(bad.length, 0, describeResults(bad));
  });
});
