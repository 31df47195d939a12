import assert from 'node:assert/strict';
import { memoryXcap } from '../../../features/presence';
import { PresenceWatchers } from '../../../features/presence/presence-watchers';
import { fakeSrf, subscribeContext } from './fake-srf';

function harness() {
  const { srf, dialogs } = fakeSrf();
  const xcap = memoryXcap('confirm');
  let version = 0;
  const rendered: string[] = [];
  const watchers = new PresenceWatchers({ srf, xcap, limits: { notifyIntervalMs: 0 }, render: async (_t, u) => {
    rendered.push(u);
    return `<presence entity="sip:${u}@t"><v>${version}</v></presence>`;
  } });
  return { watchers, xcap, dialogs, rendered, bump: () => version++ };
}

const state = (n: { headers: Record<string, string> }): string => n.headers['Subscription-State'].split(';')[0];

describe('presence: watchers of a presentity (RFC 3856)', () => {
  it('a pending watcher hears nothing of a change before authorization, then the state once allowed (RFC 3856 6.6)', async () => {
    const h = harness();
    await h.watchers.subscribe(subscribeContext('carol', 'alice'), 'sip:carol@t');
    const [d] = h.dialogs;
    const first = await d.sent(1);
    assert.equal(state(first[0]), 'pending');
    assert.equal(first[0].body, undefined, 'no document before authorization');
    h.bump();
    h.watchers.changed('t', 'alice');
    h.xcap.setRule('t', 'alice', 'sip:carol@t', 'allow');
    await h.watchers.reauthorize('t', 'alice'); // what the feature does on the rules' onChange
    const all = await d.sent(2);
    assert.equal(state(all[1]), 'active', 'the NOTIFY after the pending one is the approval, not word of the change');
    assert.match(all[1].body ?? '', /<v>1<\/v>/);
    assert.deepEqual(h.rendered, ['alice'], 'the presentity\'s state was read for the authorized watcher only');
    h.watchers.close();
  });

  it('an allowed watcher hears each change; a polite-blocked one only its neutral document', async () => {
    const h = harness();
    h.xcap.setRule('t', 'alice', 'sip:bob@t', 'allow');
    h.xcap.setRule('t', 'alice', 'sip:eve@t', 'polite-block');
    await h.watchers.subscribe(subscribeContext('bob', 'alice'), 'sip:bob@t');
    await h.watchers.subscribe(subscribeContext('eve', 'alice'), 'sip:eve@t');
    const [bob, eve] = h.dialogs;
    await bob.sent(1);
    const neutral = await eve.sent(1);
    assert.match(neutral[0].body ?? '', /<basic>closed<\/basic>/);
    h.bump();
    h.watchers.changed('t', 'alice');
    const told = await bob.sent(2);
    assert.match(told[1].body ?? '', /<v>1<\/v>/);
    assert.equal(eve.notifies.length, 1, 'the change told the polite-blocked watcher nothing');
    // a refresh still gets a NOTIFY (RFC 6665 4.2.1.2), the same neutral document
    eve.emit('subscribe', { get: () => '600' }, { send: () => undefined });
    const after = await eve.sent(2);
    assert.match(after[1].body ?? '', /fs-neutral/);
    h.watchers.close();
  });
});
