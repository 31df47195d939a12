import assert from 'node:assert/strict';
import { busiest, RemoteActivity } from '../../../features/presence/remote-activity';

describe('presence: call activity of other instances', () => {
  it('the busiest activity wins', () => {
    assert.equal(busiest('idle', 'ringing'), 'ringing');
    assert.equal(busiest('on-the-phone', 'ringing'), 'on-the-phone');
    assert.equal(busiest('idle', 'idle'), 'idle');
  });

  it('combines what every other instance reports, ignores its own, forgets idle', () => {
    const a = new RemoteActivity('fs-1');
    a.heard({ from: 'fs-2', tenant: 't', user: 'bob', activity: 'ringing' });
    a.heard({ from: 'fs-3', tenant: 't', user: 'bob', activity: 'on-the-phone' });
    a.heard({ from: 'fs-1', tenant: 't', user: 'carol', activity: 'on-the-phone' });
    assert.equal(a.get('t', 'bob'), 'on-the-phone');
    assert.equal(a.get('t', 'carol'), 'idle');
    a.heard({ from: 'fs-3', tenant: 't', user: 'bob', activity: 'idle' });
    assert.equal(a.get('t', 'bob'), 'ringing');
    assert.equal(a.size, 1);
  });

  it('is bounded, and drops what an instance gone reported, naming the users it changes', async () => {
    const a = new RemoteActivity('fs-1', 2);
    for (const user of ['u1', 'u2', 'u3']) a.heard({ from: 'fs-2', tenant: 't', user, activity: 'ringing' });
    assert.equal(a.size, 2);
    assert.equal(a.get('t', 'u1'), 'idle', 'the oldest went');
    const changed = await a.sweep(async (i) => i !== 'fs-2');
    assert.deepEqual(changed.map((c) => c.user).sort(), ['u2', 'u3']);
    assert.equal(a.size, 0);
  });
});
