import assert from 'node:assert/strict';
import type { SippResult } from '../../support/sipp';
import { coreFixture, TENANT } from '../core/fixture';

/** The final response to the authenticated SUBSCRIBE, and the NOTIFYs that followed it. */
function outcome(r: SippResult): { status: number | undefined; notifies: string[] } {
  const finals = r.events.filter((e) => e.dir === 'received' && e.status !== undefined && e.status >= 200 && !e.retransmission);
  const notifies = r.events.filter((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined && !e.retransmission);
  return { status: finals.at(-1)?.status, notifies: notifies.map((e) => e.message) };
}

/**
 * Who may watch a user's calls (RFC 4235 8, RFC 6665 4.2.1.2): its NOTIFYs carry caller,
 * Call-ID and tags, so only the user, the pickup groups that can pick up its calls and
 * the users it lists in dialogWatchers get them; anyone else in the tenant gets 403.
 */
describe('pickup: who may SUBSCRIBE to a user\'s dialog state', function () {
  this.timeout(40000);
  const fx = coreFixture();

  const watch = (subscriber: string, target: string): Promise<SippResult> =>
    fx.call('core-blf-authz.xml', subscriber, target, { vars: { caller: subscriber, expires: '2' }, timeoutSec: 20 });

  it('the user itself, a member of a pickup group for its calls and a listed watcher get 2xx and NOTIFYs; anyone else 403', async () => {
    await fx.provision('wp-b', undefined, { callGroups: ['desk'], dialogWatchers: ['wp-r'] });
    await fx.provision('wp-c', undefined, { pickupGroups: ['desk'] });
    await fx.provision('wp-r');
    await fx.provision('wp-x', undefined, { pickupGroups: ['other'], callGroups: ['desk'] });
    const [self, member, listed, outsider] = await Promise.all([
      watch('wp-b', 'wp-b'), watch('wp-c', 'wp-b'), watch('wp-r', 'wp-b'), watch('wp-x', 'wp-b'),
    ]);
    for (const [who, r] of [['the user', self], ['the pickup group member', member], ['the listed watcher', listed]] as const) {
      assert.equal(r.code, 0, `${who}: ${r.errors}`);
      const o = outcome(r);
      assert.ok(o.status === 200 || o.status === 202, `${who}: ${o.status}`); // 202 is still a valid accept (RFC 6665 4.2.1.1)
      assert.equal(o.notifies.length, 2, `${who}: the first NOTIFY and the final one`);
      assert.match(o.notifies[0], new RegExp(`entity="sip:wp-b@${TENANT.replace(/\./g, '\\.')}"`), who);
      assert.match(o.notifies[1], /Subscription-State: terminated/i, who);
    }
    assert.equal(outsider.code, 0, outsider.errors);
    const refused = outcome(outsider);
    assert.equal(refused.status, 403, 'a user outside the pickup groups and not listed is refused');
    assert.deepEqual(refused.notifies, [], 'and hears nothing of the calls');
  });

  it("dialogWatchers ['*'] opens a user's state to the whole tenant", async () => {
    await fx.provision('wq-b', undefined, { dialogWatchers: ['*'] });
    await fx.provision('wq-x');
    const r = await watch('wq-x', 'wq-b');
    assert.equal(r.code, 0, r.errors);
    assert.ok([200, 202].includes(outcome(r).status ?? 0), String(outcome(r).status));
    assert.equal(outcome(r).notifies.length, 2);
  });
});
