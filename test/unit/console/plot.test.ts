import assert from 'node:assert/strict';
import { bars, dots, linePath, niceMax, PLACES, plotSeries, type StatsSampleView } from '../../../console/src/model/plot';

const sample = (over: Partial<StatsSampleView> = {}): StatsSampleView => ({
  start: '2026-01-01T10:00:00.000Z', offered: 0, answered: 0, answerRate: null, parked: 0, conferences: null, ...over,
});

describe('console: plots of the last hour', () => {
  it('axis tops are round: 1, 2, 5 times a power of ten', () => {
    assert.equal(niceMax([]), 1);
    assert.equal(niceMax([0, null]), 1);
    assert.equal(niceMax([3]), 5);
    assert.equal(niceMax([7, 12]), 20);
    assert.equal(niceMax([100]), 100);
    assert.equal(niceMax([101]), 200);
  });

  it('bars are right-aligned (the newest minute last), scaled, and zero draws none', () => {
    const b = bars([2, 0, 4], 610, 100, 4);
    assert.equal(b.length, 2);
    // three values take the last three of 61 places, each 10 px wide
    assert.deepEqual(b.map((x) => [x.x, x.y, x.width, x.height, x.value]), [[581, 50, 8, 50, 2], [601, 0, 8, 100, 4]]);
  });

  it('only the last hour is drawn however many values come', () => {
    const many = Array.from({ length: 100 }, () => 1);
    assert.equal(bars(many, 610, 100, 1).length, PLACES);
    assert.equal(bars(many, 610, 100, 1)[0].x, 1);
  });

  it('a line breaks at a minute without a value instead of dropping to zero', () => {
    assert.equal(linePath([50, 100, null, 0], 610, 100, 100), 'M575 50 L585 0 M605 100');
    assert.equal(linePath([null, null], 610, 100, 100), '');
    // values past the top stay inside the box
    assert.equal(linePath([300], 610, 100, 100), 'M605 0');
  });

  it('dots mark every value, so one sample alone shows', () => {
    assert.deepEqual(dots([null, 1], 610, 100, 2), [{ x: 605, y: 50, value: 1 }]);
  });

  it('series from the samples: answer rate in percent, conferences flagged when the server has no gauge', () => {
    const s = plotSeries([sample({ offered: 4, answered: 3, answerRate: 0.75, parked: 1 }), sample({ partial: true })]);
    assert.deepEqual(s.offered, [4, 0]);
    assert.deepEqual(s.rate, [75, null]);
    assert.deepEqual(s.parked, [1, 0]);
    assert.equal(s.noConferences, true);
    assert.equal(plotSeries([sample({ conferences: 2 })]).noConferences, false);
  });
});
