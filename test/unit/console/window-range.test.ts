import assert from 'node:assert/strict';
import { windowRange } from '../../../console/src/model/window-range';

describe('console: windowed list range', () => {
  it('at the top: the rows in view plus the overscan below, padding for the rest', () => {
    // 2,000 rows of 36 px in a 360 px box: rows 0..9 in view
    assert.deepEqual(windowRange(2000, 36, 0, 360, 5), { first: 0, last: 15, padTop: 0, padBottom: (2000 - 15) * 36 });
  });

  it('scrolled to the middle: overscan on both sides, pads add up to the whole list', () => {
    const r = windowRange(2000, 36, 36 * 1000 + 10, 360, 5);
    assert.deepEqual([r.first, r.last], [995, 1016]);
    assert.equal(r.padTop + (r.last - r.first) * 36 + r.padBottom, 2000 * 36);
  });

  it('scrolled past the end (the list shrank): the last rows, never beyond', () => {
    const r = windowRange(100, 36, 999_999, 360, 5);
    assert.equal(r.last, 100);
    assert.equal(r.first, 100 - 10 - 5);
    assert.equal(r.padBottom, 0);
  });

  it('a list shorter than the box renders every row; an empty one none', () => {
    assert.deepEqual(windowRange(3, 36, 0, 360, 5), { first: 0, last: 3, padTop: 0, padBottom: 0 });
    assert.deepEqual(windowRange(0, 36, 0, 360, 5), { first: 0, last: 0, padTop: 0, padBottom: 0 });
    assert.deepEqual(windowRange(10, 36, -50, 360, 0), { first: 0, last: 10, padTop: 0, padBottom: 0 });
  });

  it('the number of rows rendered does not grow with the list', () => {
    const small = windowRange(50, 36, 500, 400);
    const large = windowRange(200_000, 36, 500, 400);
    assert.equal(large.last - large.first, small.last - small.first);
  });
});
