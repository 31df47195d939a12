import assert from 'node:assert/strict';
import { LATENESS_BUCKET_MS, LatenessHistogram } from '../../../features/conference/mixer/lateness';

describe('conference mixer: lateness histogram', () => {
  it('counts late frames and reports percentiles as bucket upper bounds', () => {
    const h = new LatenessHistogram(5);
    for (let i = 0; i < 98; i++) h.record(1.1);
    h.record(6);
    h.record(250);
    const s = h.summary();
    assert.equal(s.frames, 100);
    assert.equal(s.late, 2);
    assert.equal(s.p50Ms, 1.25);
    assert.equal(s.p99Ms, 6 + LATENESS_BUCKET_MS);
    assert.equal(s.maxMs, 250);
    assert.deepEqual(s.histogram, [[1.25, 98], [6.25, 1], [Infinity, 1]]);
    assert.equal(h.percentile(100), 250, 'beyond the last bucket: the maximum');
  });

  it('treats early frames as on time, and starts over on reset', () => {
    const h = new LatenessHistogram(5);
    h.record(-0.4);
    assert.equal(h.summary().p99Ms, LATENESS_BUCKET_MS);
    h.reset();
    assert.deepEqual(h.summary(), { frames: 0, late: 0, lateAfterMs: 5, p50Ms: 0, p99Ms: 0, maxMs: 0, histogram: [] });
  });
});
