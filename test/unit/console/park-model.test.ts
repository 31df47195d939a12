import assert from 'node:assert/strict';
import { MAX_GRID_SLOTS, parkGrid, type ParkedView } from '../../../console/src/model/park-model';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const parked = (slot: string, leftMs: number, over: Partial<ParkedView> = {}): ParkedView => ({
  slot, callId: `c-${slot}`, parker: 'alice', parked: 'bob', since: new Date(T0 - 1000).toISOString(),
  timeoutAt: new Date(T0 + leftMs).toISOString(), state: 'parked', ...over,
});

describe('console: park lot grid model', () => {
  it('has every slot of the lot in order, the occupied ones with party and countdown', () => {
    const cells = parkGrid({ firstSlot: 701, lastSlot: 704 }, [parked('703', 42_400)], T0);
    assert.deepEqual(cells.map((c) => [c.slot, c.occupied, c.parked, c.countdown]), [
      ['701', false, '', ''], ['702', false, '', ''], ['703', true, 'bob', '0:42'], ['704', false, '', ''],
    ]);
    assert.equal(cells[2].parker, 'alice');
    assert.equal(cells[2].expiring, false);
  });

  it('counts down as time passes, marks the last 10 s, never shows a negative time', () => {
    const p = [parked('701', 12_000)];
    assert.equal(parkGrid({ firstSlot: 701, lastSlot: 701 }, p, T0 + 1000)[0].countdown, '0:11');
    const near = parkGrid({ firstSlot: 701, lastSlot: 701 }, p, T0 + 5000)[0];
    assert.deepEqual([near.countdown, near.expiring], ['0:07', true]);
    assert.equal(parkGrid({ firstSlot: 701, lastSlot: 701 }, p, T0 + 60_000)[0].countdown, '0:00');
  });

  it('says a slot is being retrieved', () => {
    assert.equal(parkGrid({ firstSlot: 701, lastSlot: 701 }, [parked('701', 30_000, { state: 'retrieving' })], T0)[0].retrieving, true);
  });

  it('shows at most MAX_GRID_SLOTS slots of a huge lot', () => {
    assert.equal(parkGrid({ firstSlot: 1, lastSlot: 1000 }, [], T0).length, MAX_GRID_SLOTS);
  });
});
