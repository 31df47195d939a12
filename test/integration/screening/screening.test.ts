import assert from 'node:assert/strict';
import { coreFixture, freshUsers, TENANT } from '../core/fixture';
import { finalLine } from '../../support/sipp-results';

/**
 * Screening (issue 17 item 5; service examples 2.12 incoming, 2.13 outgoing): refused
 * with 403 Screening Failure before the callee's phone rings. Each callee runs a phone
 * that would answer: a 200 fails core-expect-final.xml, so a screening that let the call
 * through cannot pass.
 */

describe('screening: incoming and outgoing lists', function () {
  this.timeout(30000);
  const fx = coreFixture();
  const users = freshUsers(fx);
  const screen = async (user: string, body: { incoming?: object; outgoing?: object }): Promise<void> => {
    const r = await fx.api('PUT', `/v1/tenants/${TENANT}/users/${user}/screening`, {
      incoming: { anonymous: false, callers: [] }, outgoing: { destinations: [] }, ...body,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };

  it('incoming (2.12): a blocked caller, by user or by pattern, gets 403 Screening Failure (Terminating); others connect', async () => {
    const [a, b, c] = await users('ina', 'inb', 'inc');
    await screen(b, { incoming: { anonymous: false, callers: [a] } });
    await fx.uas('core-uas.xml', await fx.register(b));
    const r = await fx.call('core-expect-final.xml', a, b);
    assert.equal(r.code, 0, r.errors);
    assert.match(finalLine(r), /^SIP\/2\.0 403 Screening Failure \(Terminating\)/);
    const refusal = [...r.events].reverse().find((e) => e.status === 403)?.message ?? '';
    assert.match(/^To:.*$/m.exec(refusal)?.[0] ?? '', /;tag=/, 'the refusal carries a To tag');
    await screen(b, { incoming: { anonymous: false, callers: [`sip:ina*@${TENANT}`] } });
    const r2 = await fx.call('core-expect-final.xml', a, b);
    assert.match(finalLine(r2), /403 Screening Failure \(Terminating\)/);
    // c matches no pattern: b's phone answers it
    const ok = await fx.call('core-call.xml', c, b);
    assert.equal(ok.code, 0, ok.errors);
  });

  it('incoming: anonymous callers refused by the list with 403, by the user setting with 433 (RFC 5079)', async () => {
    const [a, b, c] = await users('ana', 'anb', 'anc');
    await screen(b, { incoming: { anonymous: true, callers: [] } });
    await fx.uas('core-uas.xml', await fx.register(b));
    const r = await fx.call('core-anonymous.xml', a, b, { vars: {} });
    assert.equal(r.code, 0, r.errors);
    assert.match(finalLine(r), /403 Screening Failure \(Terminating\)/);
    await fx.provision(c, undefined, { anonymousCallRejection: true });
    const r2 = await fx.call('core-anonymous.xml', a, c, { vars: {} });
    assert.match(finalLine(r2), /433 Anonymity Disallowed/);
  });

  it('incoming screening of a forward target refuses the forwarded call too', async () => {
    const [a, b, c] = await users('fwa', 'fwb', 'fwc');
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/users/${b}/forwarding`, { dnd: false, unconditional: c })).status, 200);
    await screen(c, { incoming: { anonymous: false, callers: [a] } });
    await fx.uas('core-uas.xml', await fx.register(c));
    const r = await fx.call('core-expect-final.xml', a, b);
    assert.match(finalLine(r), /403 Screening Failure \(Terminating\)/);
  });

  it('outgoing (2.13): a destination blocked for the caller or its tenant gets 403 Screening Failure (Originating)', async () => {
    const [a, b, c] = await users('oua', 'oub', 'ouc');
    await screen(a, { outgoing: { destinations: ['oub*'] } });
    await fx.uas('core-uas.xml', await fx.register(b));
    const r = await fx.call('core-expect-final.xml', a, b);
    assert.equal(r.code, 0, r.errors);
    assert.match(finalLine(r), /403 Screening Failure \(Originating\)/);
    // a number that is no user is screened before the lookup (a premium-rate prefix)
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/screening`, { destinations: ['1900*'] })).status, 200);
    try {
      const r2 = await fx.call('core-expect-final.xml', c, '19005550100');
      assert.match(finalLine(r2), /403 Screening Failure \(Originating\)/);
      const r3 = await fx.call('core-expect-final.xml', c, '18005550100');
      assert.match(finalLine(r3), /^SIP\/2\.0 404/);
    } finally {
      await fx.api('DELETE', `/v1/tenants/${TENANT}/screening`);
    }
  });

  it('REST: patterns are plain globs (regex syntax refused), unknown users 404, DELETE clears', async () => {
    const [a] = await users('rsa');
    const put = (user: string, callers: string[]) => fx.api('PUT', `/v1/tenants/${TENANT}/users/${user}/screening`,
      { incoming: { anonymous: false, callers }, outgoing: { destinations: [] } });
    assert.equal((await put(a, ['(a+)+$'])).status, 400);
    assert.equal((await put('nobody', ['x'])).status, 404);
    assert.equal((await put(a, ['100?', 'sip:*@spam.example'])).status, 200);
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/screening`)).body,
      { incoming: { anonymous: false, callers: ['100?', 'sip:*@spam.example'] }, outgoing: { destinations: [] } });
    assert.equal((await fx.api('DELETE', `/v1/tenants/${TENANT}/users/${a}/screening`)).status, 204);
    assert.deepEqual(((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/screening`)).body as { incoming: { callers: string[] } }).incoming.callers, []);
  });
});
