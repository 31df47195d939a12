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

describe('console: live calls model at scale', () => {
  const created = (id: string, ms: number): CallChangeView => change('created', call(id, { createdAt: at(ms), state: 'ringing', answeredAt: undefined }));
  const ids = (m: CallsModel): string[] => m.rows(T0).map((r) => r.id);

  it('events arriving out of order still list oldest first (binary-search insert)', () => {
    const m = new CallsModel();
    for (const [id, ms] of [['d', 400], ['a', 100], ['c', 300], ['e', 500], ['b', 200]] as const) m.apply(created(id, ms));
    assert.deepEqual(ids(m), ['a', 'b', 'c', 'd', 'e']);
  });

  it('calls created in the same millisecond are ordered by id, the same way every time', () => {
    const m = new CallsModel();
    m.apply(created('y', 100));
    m.apply(created('x', 100));
    m.apply(created('w', 50));
    assert.deepEqual(ids(m), ['w', 'x', 'y']);
    const fetched = new CallsModel();
    fetched.reset([call('y', { createdAt: at(100) }), call('w', { createdAt: at(50) }), call('x', { createdAt: at(100) })]);
    assert.deepEqual(ids(fetched), ['w', 'x', 'y']);
  });

  it('a change to a listed call updates it in place; an ended one leaves from the middle', () => {
    const m = new CallsModel();
    for (let i = 0; i < 5; i++) m.apply(created(`c${i}`, i * 10));
    m.apply(change('answered', call('c2', { createdAt: at(20) })));
    assert.deepEqual(ids(m), ['c0', 'c1', 'c2', 'c3', 'c4']);
    assert.equal(m.get('c2')?.state, 'answered');
    m.apply(change('ended', call('c2', { createdAt: at(20), state: 'ended' })));
    assert.deepEqual(ids(m), ['c0', 'c1', 'c3', 'c4']);
    assert.equal(m.indexOf('c3'), 2);
    assert.equal(m.indexOf('c2'), -1);
    // an end of a call never listed changes nothing
    m.apply(change('ended', call('zz', { state: 'ended' })));
    assert.equal(m.size, 4);
  });

  it('a call whose creation time changes moves to its new place', () => {
    const m = new CallsModel();
    m.apply(created('a', 100));
    m.apply(created('b', 200));
    m.apply(change('answered', call('a', { createdAt: at(300) })));
    assert.deepEqual(ids(m), ['b', 'a']);
    assert.equal(m.size, 2);
  });

  it('2,000 calls in random order, half ended: the order matches a full sort', () => {
    const m = new CallsModel();
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const live = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(rnd() * 100_000);
      m.apply(created(`k${i}`, ms));
      live.set(`k${i}`, ms);
      if (rnd() < 0.5) {
        const victim = `k${Math.floor(rnd() * (i + 1))}`;
        m.apply(change('ended', call(victim, { state: 'ended', createdAt: at(live.get(victim) ?? 0) })));
        live.delete(victim);
      }
    }
    const expected = [...live].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
    assert.equal(m.size, live.size);
    assert.deepEqual(ids(m), expected);
  });

  it('rowsIn gives only the rows asked for, clamped to the list', () => {
    const m = new CallsModel();
    for (let i = 0; i < 10; i++) m.apply(created(`r${i}`, i));
    assert.deepEqual(m.rowsIn(3, 6, T0).map((r) => r.id), ['r3', 'r4', 'r5']);
    assert.deepEqual(m.rowsIn(-5, 2, T0).map((r) => r.id), ['r0', 'r1']);
    assert.deepEqual(m.rowsIn(8, 50, T0).map((r) => r.id), ['r8', 'r9']);
    assert.deepEqual(m.rowsIn(7, 7, T0), []);
  });

  it('find lists calls in order up to a limit (the attended-transfer picker)', () => {
    const m = new CallsModel();
    for (let i = 0; i < 10; i++) m.apply(created(`f${i}`, i));
    assert.deepEqual(m.find((c) => c.id !== 'f0', 3).map((c) => c.id), ['f1', 'f2', 'f3']);
  });
});
