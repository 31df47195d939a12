import assert from 'node:assert/strict';
import { mayWatchDialogs, type Watched, type Watcher } from '../../../lib/routing';

const target = (o: Partial<Watched> = {}): Watched => ({ user: 'bob', callGroups: ['desk'], dialogWatchers: [], ...o });
const watcher = (user: string, pickupGroups: string[] = []): Watcher => ({ user, pickupGroups });

describe('dialog-watch policy (RFC 4235 8: who may watch a user\'s calls)', () => {
  it('lets the user watch itself', () => {
    assert.equal(mayWatchDialogs(watcher('bob'), target()), true);
  });

  it('lets a pickup group that can pick up the calls watch them, and no other group', () => {
    assert.equal(mayWatchDialogs(watcher('carol', ['sales', 'desk']), target()), true);
    assert.equal(mayWatchDialogs(watcher('mallory', ['sales']), target()), false);
    assert.equal(mayWatchDialogs(watcher('mallory', ['desk']), target({ callGroups: [] })), false);
  });

  it('lets the users the target lists watch, or everyone with *', () => {
    assert.equal(mayWatchDialogs(watcher('rita'), target({ dialogWatchers: ['rita'] })), true);
    assert.equal(mayWatchDialogs(watcher('mallory'), target({ dialogWatchers: ['rita'] })), false);
    assert.equal(mayWatchDialogs(watcher('mallory'), target({ dialogWatchers: ['*'] })), true);
  });

  it('refuses a subscriber that is not a provisioned user', () => {
    assert.equal(mayWatchDialogs(null, target({ dialogWatchers: ['*'] })), false);
  });
});
