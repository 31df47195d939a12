import assert from 'node:assert/strict';
import type { Page } from 'puppeteer-core';
import { focused, lowContrastText, namelessControls, tabTo } from '../../support/a11y';
import { consoleBrowser } from '../../support/console-browser';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';
import { PeerPhones } from '../races/peer-phones';
import { header, type PeerDialog, type SipPeer } from '../races/sip-peer';

/**
 * Issue 20 item 6, "accessible": every control has a name assistive technology can read,
 * text meets WCAG AA contrast, and an operator can work the page from the keyboard alone,
 * seeing where the focus is: open a call's panel and leave it, and end a conference
 * through its confirmation, without a mouse.
 */
describe('console: accessibility, and the keyboard alone', function () {
  this.timeout(120000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  after(() => phones.close());
  let page: Page;
  const { waitText, login } = consoleBrowser(() => fx.server(), { width: 1280, height: 1000 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });
  const byeIn = (p: SipPeer, d: PeerDialog, who: string): Promise<unknown> =>
    p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === d.callId, 20000, `BYE at ${who}`);
  const press = async (key: 'Enter' | 'Escape'): Promise<void> => page.keyboard.press(key);
  const focusIs = async (selector: string, what: string): Promise<void> => {
    await page.waitForFunction((sel: string) => document.activeElement?.matches(sel) ?? false, { timeout: 5000 }, selector)
      .catch(async () => assert.fail(`${what}: the focus is on ${await focused(page)}, not ${selector}`));
  };

  it('names and contrast on the live page (calls, panel, park lot, conference) and the tenant page; panel and conference end by keyboard', async () => {
    for (const u of ['ky-a', 'ky-b', 'ky-c']) await fx.provision(u);
    await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 706, timeout: 120, announce: false });
    const [a, b, c] = [await phones.phone(), await phones.phone('ky-b'), await phones.phone('ky-c')];
    await login();
    const ab = await phones.answeredCall(a, 'ky-a', b, 'ky-b');
    const ac = await phones.answeredCall(a, 'ky-a', c, 'ky-c');
    const row = `tr[data-call="${ab.id}"]`;
    await waitText(`${row} td.state`, /^answered$/);
    await waitText(`tr[data-call="${ac.id}"] td.state`, /^answered$/);

    assert.deepEqual(await namelessControls(page), [], 'controls without a name on the live page');
    assert.deepEqual(await lowContrastText(page), [], 'text below AA contrast on the live page');

    // the row is reached with Tab, Enter opens its panel and takes the focus there, Escape
    // closes it and gives the focus back to the row; every stop on the way shows its focus
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    assert.deepEqual(await tabTo(page, row), [], 'stops where the focus did not show');
    await press('Enter');
    await page.waitForSelector('#call-panel');
    await focusIs('#call-panel-title', 'the panel opened by Enter');
    assert.deepEqual(await namelessControls(page), [], 'controls without a name with the panel open');
    assert.deepEqual(await lowContrastText(page), [], 'text below AA contrast with the panel open');
    await press('Escape');
    await page.waitForSelector('#call-panel', { hidden: true });
    await focusIs(row, 'the panel closed by Escape');

    assert.equal((await fx.api('POST', '/v1/conferences', { calls: [ab.id, ac.id] })).status, 201);
    const conf = '.conference';
    await page.waitForFunction((sel: string) => document.querySelectorAll(sel).length === 3, { timeout: 20000 }, `${conf} tr[data-member]`);
    assert.deepEqual(await namelessControls(page), [], 'controls without a name with a conference');
    assert.deepEqual(await lowContrastText(page), [], 'text below AA contrast with a conference');

    // End asks first: the question has the focus on No; Escape takes it back to End;
    // Shift+Tab from No reaches "Yes, end", and Enter ends the conference
    assert.deepEqual(await tabTo(page, `${conf} button.end`), [], 'stops where the focus did not show');
    await press('Enter');
    await focusIs(`${conf} button.end-no`, 'the question');
    await press('Escape');
    await focusIs(`${conf} button.end`, 'the question answered by Escape');
    assert.equal(((await fx.api('GET', '/v1/conferences')).body as { conferences: unknown[] }).conferences.length, 1, 'nothing ended yet');
    await press('Enter');
    await focusIs(`${conf} button.end-no`, 'the question asked again');
    assert.deepEqual(await tabTo(page, `${conf} button.end-yes`, { back: true, max: 2 }), []);
    await press('Enter');
    await Promise.all([byeIn(b, ab.callee, 'B'), byeIn(c, ac.callee, 'C'), byeIn(a, ab.caller, 'A')]);
    await page.waitForSelector(conf, { hidden: true, timeout: 20000 });

    await page.click('#nav-tenant');
    await page.waitForSelector('#user-add', { timeout: 20000 });
    await page.waitForSelector('button.forwarding', { timeout: 20000 }); // the users are listed
    assert.deepEqual(await namelessControls(page), [], 'controls without a name on the tenant page');
    assert.deepEqual(await lowContrastText(page), [], 'text below AA contrast on the tenant page');
    // a user's forwarding form, the longest of the user panels (the list loads after the page)
    await page.waitForSelector('button.forwarding', { timeout: 20000 });
    await page.click('button.forwarding');
    await page.waitForSelector('.user-panel select, .user-panel input', { timeout: 20000 });
    assert.deepEqual(await namelessControls(page), [], "controls without a name in a user's forwarding form");
    assert.deepEqual(await lowContrastText(page), [], "text below AA contrast in a user's forwarding form");
  });
});
