import assert from 'node:assert/strict';
import { memoryXcap } from '../../../features/presence';
import { packResources, type Member } from '../../../features/presence/list-members';
import { acceptsAll, hasOptionTag, listName, localMember } from '../../../features/presence/list-uri';
import { ListWatchers, MAX_LIST_MEMBERS, MAX_NOTIFY_BODY_BYTES } from '../../../features/presence/list-watchers';
import type { WatcherChange } from '../../../features/presence/presence-watchers';
import { fakeSrf, subscribeContext, type TestContext } from './fake-srf';

const LIST_HEADERS: Record<string, string> = { Supported: 'eventlist', Accept: 'multipart/related, application/rlmi+xml, application/pidf+xml', Expires: '600' };

function harness(render: (tenant: string, user: string) => Promise<string> = async (_t, u) => `<presence entity="sip:${u}@t"/>`) {
  const { srf, dialogs } = fakeSrf();
  const xcap = memoryXcap('allow');
  const winfo: WatcherChange[] = [];
  const truncated: number[] = [];
  const lists = new ListWatchers({ srf, xcap, render, isUser: async (_t, u) => u !== 'ghost', limits: { notifyIntervalMs: 0 },
    onWatcher: (w) => winfo.push(w), onTruncated: (_t, _o, _n, entries) => truncated.push(entries) });
  const ctx = (subscriber: string, target: string, headers = LIST_HEADERS): TestContext => subscribeContext(subscriber, target, headers);
  return { lists, xcap, dialogs, ctx, winfo, truncated };
}

const member = (uri: string, auth: Member['auth'] = 'allow'): Member => ({ uri, instanceId: uri, auth, dirty: true });

describe('presence: resource lists (RFC 4662)', () => {
  describe('list naming and headers', () => {
    it('names only the subscriber\'s own lists, bounded', () => {
      assert.equal(listName('alice-buddies', 'alice'), 'buddies');
      assert.equal(listName('alice-work-mates', 'alice'), 'work-mates');
      assert.equal(listName('alice-buddies', 'bob'), undefined);
      assert.equal(listName('alice-', 'alice'), undefined);
      assert.equal(listName('alice', 'alice'), undefined);
      assert.equal(listName(`alice-${'x'.repeat(65)}`, 'alice'), undefined);
    });
    it('a member is a user of this tenant only', () => {
      assert.equal(localMember('sip:bob@T', 't'), 'bob');
      assert.equal(localMember('sip:bob@other', 't'), undefined);
      assert.equal(localMember('tel:+123', 't'), undefined);
      assert.equal(localMember('sip:t', 't'), undefined);
    });
    it('reads option tags and Accept with parameters and wildcards', () => {
      assert.ok(hasOptionTag('timer, EventList', 'eventlist'));
      assert.ok(!hasOptionTag('eventlists', 'eventlist'));
      assert.ok(!hasOptionTag(undefined, 'eventlist'));
      assert.ok(acceptsAll('multipart/related;q=0.5, application/*', ['multipart/related', 'application/rlmi+xml']));
      assert.ok(!acceptsAll('application/pidf+xml', ['multipart/related', 'application/rlmi+xml']));
    });
  });

  describe('packResources', () => {
    it('maps each authorization to its instance state and sends no body for pending or terminated members', () => {
      const ms = [member('a'), member('b', 'confirm'), member('c', 'block'), member('d', 'noresource'), member('e', 'polite-block')];
      const { resources } = packResources(ms, ['A', undefined, undefined, undefined, 'E'], 1000);
      assert.deepEqual(resources.map((r) => [r.state, r.reason ?? '', r.body?.text ?? '']),
        [['active', '', 'A'], ['pending', '', ''], ['terminated', 'rejected', ''], ['terminated', 'noresource', ''], ['active', '', 'E']]);
    });
    it('defers documents past the byte bound to the next NOTIFY, but always sends the first', () => {
      const ms = [member('a'), member('b'), member('c')];
      const { resources, deferred } = packResources(ms, ['x'.repeat(60), 'y'.repeat(30), 'z'.repeat(50)], 100);
      assert.deepEqual(resources.map((r) => r.body?.text.length), [60, 30, undefined]);
      assert.deepEqual(deferred.map((m) => m.uri), ['c']);
      assert.equal(resources[2].state, 'active', 'still listed, without cid');
      const alone = packResources([member('big')], ['x'.repeat(500)], 100);
      assert.equal(alone.resources[0].body?.text.length, 500);
      assert.deepEqual(alone.deferred, []);
    });
  });

  describe('ListWatchers', () => {
    let h: ReturnType<typeof harness> | undefined;
    afterEach(() => h?.lists.close());

    it('answers 421 with Require: eventlist without Supported: eventlist, 406 without multipart/related, false for no list', async () => {
      h = harness();
      h.xcap.setList('t', 'alice', 'buddies', ['sip:bob@t']);
      const plain = h.ctx('alice', 'alice-buddies', { Accept: LIST_HEADERS.Accept });
      assert.equal(await h.lists.subscribe(plain), true);
      assert.deepEqual(plain.statuses.map((s) => [s.status, s.headers?.Require]), [[421, 'eventlist']]);
      const pidfOnly = h.ctx('alice', 'alice-buddies', { Supported: 'eventlist', Accept: 'application/pidf+xml' });
      await h.lists.subscribe(pidfOnly);
      assert.equal(pidfOnly.statuses[0].status, 406);
      assert.equal(await h.lists.subscribe(h.ctx('alice', 'alice-friends')), false, 'no such list');
      assert.equal(await h.lists.subscribe(h.ctx('bob', 'alice-buddies')), false, 'not his list');
      assert.equal(h.dialogs.length, 0);
    });

    it(`takes at most ${MAX_LIST_MEMBERS} members of a longer list, and says so`, async () => {
      h = harness();
      h.xcap.setList('t', 'alice', 'buddies', Array.from({ length: MAX_LIST_MEMBERS + 20 }, (_, i) => `sip:u${i}@t`));
      await h.lists.subscribe(h.ctx('alice', 'alice-buddies'));
      const [full] = await h.dialogs[0].sent(1);
      assert.equal((full.body?.match(/<resource /g) ?? []).length, MAX_LIST_MEMBERS);
      assert.deepEqual(h.truncated, [MAX_LIST_MEMBERS + 20]);
    });

    it('spreads documents over NOTIFYs so none carries more than the bound, and every member\'s document arrives', async () => {
      const big = 'x'.repeat(Math.floor(MAX_NOTIFY_BODY_BYTES * 0.6));
      h = harness(async (_t, u) => `<presence entity="sip:${u}@t"><!--${big}--></presence>`);
      h.xcap.setList('t', 'alice', 'buddies', ['sip:b1@t', 'sip:b2@t', 'sip:b3@t']);
      await h.lists.subscribe(h.ctx('alice', 'alice-buddies'));
      const sent = await h.dialogs[0].sent(3);
      for (const n of sent) assert.ok(Buffer.byteLength(n.body ?? '') < MAX_NOTIFY_BODY_BYTES + 4096, 'bounded');
      assert.match(sent[0].body ?? '', /fullState="true"/);
      assert.match(sent[1].body ?? '', /fullState="false"/);
      const delivered = sent.flatMap((n) => [...(n.body ?? '').matchAll(/<presence entity="(sip:b\d@t)"/g)].map((m) => m[1]));
      assert.deepEqual(delivered.sort(), ['sip:b1@t', 'sip:b2@t', 'sip:b3@t']);
    });

    it('tells the member\'s watcher information: pending through the list, then approved when its rules allow', async () => {
      h = harness();
      h.xcap.setRule('t', 'bob', 'sip:alice@t', 'confirm');
      h.xcap.setList('t', 'alice', 'buddies', ['sip:bob@t', 'sip:ghost@t']);
      await h.lists.subscribe(h.ctx('alice', 'alice-buddies'));
      await h.dialogs[0].sent(1);
      assert.deepEqual(h.lists.watchers('t', 'bob').map((w) => [w.uri, w.status]), [['sip:alice@t', 'pending']]);
      h.xcap.setRule('t', 'bob', 'sip:alice@t', 'allow');
      await h.lists.reauthorize('t', 'bob');
      const [, partial] = await h.dialogs[0].sent(2);
      assert.match(partial.body ?? '', /uri="sip:bob@t"><instance id="i1" state="active" cid=/);
      assert.doesNotMatch(partial.body ?? '', /ghost/, 'a partial NOTIFY names only what changed');
      assert.deepEqual(h.winfo.filter((w) => w.presentity === 'bob').map((w) => [w.status, w.event]), [['pending', 'subscribe'], ['active', 'approved']]);
    });

    it('a change of a pending or polite-blocked member sends nothing; one of an allowed member names only it', async () => {
      h = harness();
      h.xcap.setRule('t', 'bob', 'sip:alice@t', 'confirm');
      h.xcap.setRule('t', 'carol', 'sip:alice@t', 'polite-block');
      h.xcap.setList('t', 'alice', 'buddies', ['sip:bob@t', 'sip:carol@t', 'sip:dave@t']);
      await h.lists.subscribe(h.ctx('alice', 'alice-buddies'));
      await h.dialogs[0].sent(1);
      h.lists.changed('t', 'bob');
      h.lists.changed('t', 'carol');
      h.lists.changed('t', 'dave');
      const [, partial] = await h.dialogs[0].sent(2);
      assert.deepEqual([...(partial.body ?? '').matchAll(/<resource uri="([^"]+)"/g)].map((m) => m[1]), ['sip:dave@t']);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(h.dialogs[0].notifies.length, 2, 'nothing more');
    });

    it('a refresh gets 200 with Require: eventlist and a full-state NOTIFY; expiry ends it with a full-state terminated one', async () => {
      h = harness();
      h.xcap.setList('t', 'alice', 'buddies', ['sip:bob@t', 'sip:carol@t']);
      await h.lists.subscribe(h.ctx('alice', 'alice-buddies', { ...LIST_HEADERS, Expires: '1' }));
      const d = h.dialogs[0];
      await d.sent(1);
      h.lists.changed('t', 'bob');
      await d.sent(2);
      const answers: Array<{ status: number; headers?: Record<string, string> }> = [];
      d.emit('subscribe', { get: (n: string) => (n === 'Expires' ? '1' : undefined) },
        { send: (status: number, o?: { headers?: Record<string, string> }) => answers.push({ status, headers: o?.headers }) });
      const [, partial, refreshed] = await d.sent(3);
      assert.deepEqual(answers, [{ status: 200, headers: { Expires: '1', Require: 'eventlist' } }]);
      assert.match(partial.body ?? '', /fullState="false"/);
      assert.match(refreshed.body ?? '', /version="2" fullState="true"/);
      assert.equal((refreshed.body?.match(/<resource /g) ?? []).length, 2);
      const final = (await d.sent(4))[3];
      assert.match(final.headers['Subscription-State'], /^terminated;reason=timeout/);
      assert.match(final.body ?? '', /fullState="true"/);
      assert.equal(h.lists.size, 0, 'the slot is free again');
    });
  });
});
