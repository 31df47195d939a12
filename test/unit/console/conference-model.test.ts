import assert from 'node:assert/strict';
import { ConferencesModel, MAX_MERGE_PAIRS, mergePairs, type ConferenceChangeView, type ConferenceView } from '../../../console/src/model/conference-model';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const conf = (id: string, members: Array<[string, boolean]>, over: Partial<ConferenceView> = {}): ConferenceView => ({
  id, tenant: 't', host: members[0]?.[0] ?? 'h', createdAt: T0 - 10_000, instanceId: 'fs-1',
  members: members.map(([user, held], i) => ({ id: `${id}-m${i}`, user, joinedAt: T0 - 9000 + i, held })), ...over,
});
const change = (c: ConferenceView, kind: 'changed' | 'ended'): ConferenceChangeView => ({ ...c, change: kind });

describe('console: conferences model', () => {
  it('shows each conference with its members in joining order, the host marked, who is held', () => {
    const m = new ConferencesModel();
    m.reset([conf('c1', [['alice', false], ['bob', true], ['carol', false]])]);
    const [row] = m.rows(T0);
    assert.equal(row.host, 'alice');
    assert.equal(row.duration, '0:10');
    assert.deepEqual(row.members.map((x) => [x.user, x.host, x.held]), [['alice', true, false], ['bob', false, true], ['carol', false, false]]);
    assert.equal(row.instance, 'fs-1');
  });

  it('follows change events: a new conference appears, a member leaves or holds, an ended one goes', () => {
    const m = new ConferencesModel();
    m.reset([]);
    m.apply(change(conf('c1', [['alice', false], ['bob', false], ['carol', false]]), 'changed'));
    assert.equal(m.size, 1);
    m.apply(change(conf('c1', [['alice', false], ['bob', true]]), 'changed'));
    assert.deepEqual(m.rows(T0)[0].members.map((x) => [x.user, x.held]), [['alice', false], ['bob', true]]);
    m.apply(change(conf('c1', []), 'ended'));
    assert.equal(m.size, 0);
    m.apply(change(conf('c9', []), 'ended'));
    assert.equal(m.size, 0, 'an unknown conference ending changes nothing');
  });

  it('says how many members an event did not list', () => {
    const m = new ConferencesModel();
    m.apply(change(conf('c1', [['alice', false], ['bob', false]], { memberCount: 60 }), 'changed'));
    assert.equal(m.rows(T0)[0].more, 58);
  });

  it('offers to merge the pairs of calls that share a party, named by the host', () => {
    const pairs = mergePairs([
      { id: 'k1', caller: 'alice', callee: 'bob' }, { id: 'k2', caller: 'alice', callee: 'carol' }, { id: 'k3', caller: 'dan', callee: 'eve' },
      { id: 'k4', caller: 'frank', callee: 'carol' },
    ]);
    assert.deepEqual(pairs.map((p) => [p.calls, p.label]), [
      [['k1', 'k2'], 'alice with bob and carol'],
      [['k2', 'k4'], 'carol with alice and frank'],
    ]);
    assert.deepEqual(mergePairs([{ id: 'k1', caller: 'a', callee: 'b' }]), []);
  });

  it('offers a bounded number of pairs', () => {
    const calls = Array.from({ length: 30 }, (_, i) => ({ id: `k${i}`, caller: 'hub', callee: `u${i}` }));
    assert.equal(mergePairs(calls).length, MAX_MERGE_PAIRS);
  });
});
