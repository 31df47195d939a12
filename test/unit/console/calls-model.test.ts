import assert from 'node:assert/strict';
import { CallsModel, type CallChangeView, type CallView } from '../../../console/src/model/calls-model';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const call = (id: string, over: Partial<CallView> = {}): CallView => ({
  id, tenant: 'example.com', state: 'answered', caller: { user: 'alice' }, callee: { user: 'bob' }, instanceId: 'fs-1',
  createdAt: at(0), answeredAt: at(2000), ...over,
});
const change = (kind: CallChangeView['change'], c: CallView): CallChangeView => ({ ...c, change: kind });

describe('console: live calls model', () => {
  it('lists the fetched calls oldest first, with duration since answered', () => {
    const m = new CallsModel();
    m.reset([call('b', { createdAt: at(5000), answeredAt: at(6000) }), call('a')]);
    const rows = m.rows(T0 + 65_000);
    assert.deepEqual(rows.map((r) => [r.id, r.caller, r.callee, r.duration, r.instance]), [['a', 'alice', 'bob', '1:03', 'fs-1'], ['b', 'alice', 'bob', '0:59', 'fs-1']]);
  });

  it('a ringing call counts from its creation and cannot be held or parked', () => {
    const m = new CallsModel();
    m.apply(change('created', call('r', { state: 'ringing', answeredAt: undefined })));
    const [row] = m.rows(T0 + 4000);
    assert.equal(row.state, 'ringing');
    assert.equal(row.duration, '0:04');
    assert.equal(row.canHold, false);
    assert.equal(row.canPark, false);
  });

  it('follows answered, held, resumed and ended events', () => {
    const m = new CallsModel();
    m.apply(change('created', call('c', { state: 'ringing', answeredAt: undefined })));
    m.apply(change('answered', call('c')));
    assert.equal(m.rows(T0 + 3000)[0].state, 'answered');
    m.apply(change('held', call('c', { held: { callee: at(2500) } })));
    assert.deepEqual([m.rows(T0 + 3000)[0].onHold, m.rows(T0 + 3000)[0].hold], [true, 'callee held']);
    m.apply(change('resumed', call('c', { held: undefined })));
    assert.deepEqual([m.rows(T0 + 3000)[0].onHold, m.rows(T0 + 3000)[0].hold], [false, '']);
    m.apply(change('ended', call('c', { state: 'ended' })));
    assert.equal(m.size, 0);
  });

  it('an ended call in a fetched list is left out; a fresh list replaces the old one', () => {
    const m = new CallsModel();
    m.reset([call('x')]);
    m.reset([call('y'), call('z', { state: 'ended' })]);
    assert.deepEqual(m.rows(T0).map((r) => r.id), ['y']);
  });

  it('a parked call says its slot and offers neither hold nor park', () => {
    const m = new CallsModel();
    m.reset([call('p'), call('q', { createdAt: at(1) })]);
    const [p, q] = m.rows(T0 + 1000, new Map([['p', '701']]));
    assert.deepEqual([p.state, p.canHold, p.canPark], ['parked at 701', false, false]);
    assert.deepEqual([q.state, q.canHold, q.canPark], ['answered', true, true]);
  });
});
