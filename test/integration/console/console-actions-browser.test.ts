import assert from 'node:assert/strict';
import type { Page } from 'puppeteer-core';
import { consoleBrowser } from '../../support/console-browser';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';
import { PeerPhones } from '../races/peer-phones';
import { header, type PeerDialog, type SipPeer } from '../races/sip-peer';

/**
 * Console actions that end or move calls (issue 20 item 3), carried out to the end in a
 * real browser: ending a conference (confirmed) and a blind transfer that the target
 * answers. The phones are the race suite's raw SIP phones, which answer the server's
 * re-INVITEs and BYEs as any phone would.
 */
describe('console: ending a conference and a completed transfer in a browser', function () {
  this.timeout(90000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  after(() => phones.close());
  let page: Page;
  const { waitText, login } = consoleBrowser(() => fx.server(), { width: 1100, height: 1200 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });



  const byeIn = (p: SipPeer, d: PeerDialog, who: string): Promise<unknown> =>
    p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === d.callId, 20000, `BYE at ${who}`);

  it('End on a conference asks first; confirmed, every member gets a BYE and the conference goes from the page', async () => {
    for (const u of ['ce-a', 'ce-b', 'ce-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone(), await phones.phone('ce-b'), await phones.phone('ce-c')];
    await login();
    const ab = await phones.answeredCall(a, 'ce-a', b, 'ce-b');
    const ac = await phones.answeredCall(a, 'ce-a', c, 'ce-c');
    await waitText(`tr[data-call="${ab.id}"] td.state`, /^answered$/);
    await waitText(`tr[data-call="${ac.id}"] td.state`, /^answered$/);
    await page.click('#merge');
    const conf = '.conference';
    await page.waitForFunction((sel: string) => document.querySelectorAll(sel).length === 3, { timeout: 20000 }, `${conf} tr[data-member]`);

    await page.click(`${conf} button.end`);
    await page.waitForSelector(`${conf} button.end-yes`);
    // nothing ends before the confirmation
    assert.equal(((await fx.api('GET', '/v1/conferences')).body as { conferences: unknown[] }).conferences.length, 1);
    await page.click(`${conf} button.end-yes`);
    // the members' dialogs are the ones they had: the merge re-INVITEd them into the bridge
    await Promise.all([byeIn(b, ab.callee, 'B'), byeIn(c, ac.callee, 'C')]);
    await page.waitForSelector(conf, { hidden: true, timeout: 20000 });
    assert.equal(((await fx.api('GET', '/v1/conferences')).body as { conferences: unknown[] }).conferences.length, 0);
  });

  it('a blind transfer from the call panel that the target answers: the panel says so and the call is now with the target', async () => {
    for (const u of ['ct-a', 'ct-b', 'ct-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone(), await phones.phone('ct-b'), await phones.phone('ct-c')];
    await login();
    const ab = await phones.answeredCall(a, 'ct-a', b, 'ct-b');
    const row = `tr[data-call="${ab.id}"]`;
    await waitText(`${row} td.state`, /^answered$/);
    await page.click(`${row} td.callee`);
    await page.click('#panel-tab-blind');
    await page.type('#panel-blind-to', 'ct-c');
    await page.click('#panel-submit');
    await waitText('.panel-confirm', /Transfer caller ct-a to ct-c\?/);
    await page.click('#panel-yes');
    // the target's phone rings (the server's INVITE) and answers
    const inv = await c.nextInvite();
    inv.send(200, c.sdp(42000));
    await waitText('#panel-result', /^Transferred\.$/);
    await byeIn(b, ab.callee, 'the transferor B');
    const now = await fx.liveCall((x) => x.caller.user === 'ct-a' && x.callee.user === 'ct-c' && x.state === 'answered');
    await waitText(`tr[data-call="${now.id}"] td.callee`, /^ct-c$/);
    // A hangs up: the target gets the BYE
    assert.equal((await a.request(ab.caller, 'BYE')).status, 200);
    await byeIn(c, inv.dialog, 'the target C');
  });
});
