import assert from 'node:assert/strict';
import { RemoteWatchers } from '../../../features/presence/remote-watchers';
import type { WatcherChange } from '../../../features/presence/presence-watchers';

const change = (id: string, from: string, status: WatcherChange['status'] = 'pending', presentity = 'alice'): WatcherChange & { from: string } =>
  ({ from, tenant: 't', presentity, id, uri: `sip:${id}@t`, status, event: status === 'terminated' ? 'timeout' : 'subscribe', startedAt: 0 });

describe('presence: watchers of other instances (winfo across instances)', () => {
  it('keeps the live watchers other instances report, not its own, and forgets ended ones', () => {
    const r = new RemoteWatchers('fs-1');
    r.heard(change('w1', 'fs-2'));
    r.heard(change('w2', 'fs-1'));
    r.heard({ ...change('w1', 'fs-2'), status: 'active', event: 'approved' });
    assert.deepEqual(r.list('t', 'alice').map((w) => [w.id, w.status]), [['w1', 'active']]);
    r.heard(change('w1', 'fs-2', 'terminated'));
    assert.deepEqual(r.list('t', 'alice'), []);
    assert.equal(r.size, 0);
  });

  it('holds at most `max` entries, dropping the oldest', () => {
    const r = new RemoteWatchers('fs-1', 3);
    for (let i = 0; i < 5; i++) r.heard(change(`w${i}`, 'fs-2', 'pending', `p${i % 2}`));
    assert.equal(r.size, 3);
    const ids = [...r.list('t', 'p0'), ...r.list('t', 'p1')].map((w) => w.id).sort();
    assert.deepEqual(ids, ['w2', 'w3', 'w4']);
  });

  it('drops the watchers of an instance that is gone', async () => {
    const r = new RemoteWatchers('fs-1');
    r.heard(change('w1', 'fs-2'));
    r.heard(change('w2', 'fs-3'));
    await r.sweep(async (i) => i !== 'fs-2');
    assert.deepEqual(r.list('t', 'alice').map((w) => w.id), ['w2']);
    assert.equal(r.size, 1);
  });
});
