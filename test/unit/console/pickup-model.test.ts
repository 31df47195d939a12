import assert from 'node:assert/strict';
import { MAX_CALLS_PER_GROUP, pickupGroups, type RingingListView } from '../../../console/src/model/pickup-model';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const call = (callId: string, callee: string, agoMs: number) => ({ callId, callee, caller: `caller-of-${callee}`, since: T0 - agoMs });

describe('console: pickup groups model', () => {
  it('lists the groups by name, each with its longest ringing call first and for how long', () => {
    const list: RingingListView = { tenant: 't', groups: { support: [call('c3', 'dan', 2000)], sales: [call('c1', 'bob', 5000), call('c2', 'eve', 61_000)] } };
    const groups = pickupGroups(list, T0);
    assert.deepEqual(groups.map((g) => g.group), ['sales', 'support']);
    assert.deepEqual(groups[0].calls.map((c) => [c.callId, c.callee, c.caller, c.ringing]), [['c2', 'eve', 'caller-of-eve', '1:01'], ['c1', 'bob', 'caller-of-bob', '0:05']]);
    assert.equal(pickupGroups(list, T0 + 3000)[1].calls[0].ringing, '0:05', 'the ringing time moves with the clock');
  });

  it('shows nothing before the list came, and no group without calls', () => {
    assert.deepEqual(pickupGroups(undefined, T0), []);
    assert.deepEqual(pickupGroups({ tenant: 't', groups: { sales: [] } }, T0), []);
  });

  it('shows a bounded number of calls per group', () => {
    const many = Array.from({ length: MAX_CALLS_PER_GROUP + 5 }, (_, i) => call(`c${i}`, `u${i}`, i));
    assert.equal(pickupGroups({ tenant: 't', groups: { sales: many } }, T0)[0].calls.length, MAX_CALLS_PER_GROUP);
  });
});
