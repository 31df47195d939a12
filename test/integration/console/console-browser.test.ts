import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { consoleBrowser } from '../../support/console-browser';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';

/**
 * Where the screenshot goes: a temporary folder, so a test run leaves the checkout as it
 * was; SCREENSHOTS_DIR=docs/console refreshes the one the README shows.
 */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR ? path.resolve(process.env.SCREENSHOTS_DIR) : path.join(tmpdir(), 'feature-server-console');

/** The operator console (issue 20) in a real browser, against a real server and sipp phones. */
describe('console: in a browser', function () {
  this.timeout(90000);
  const fx = coreFixture();
  let page: Page;
  const { base, text, waitText, login } = consoleBrowser(() => fx.server(), { width: 1100, height: 760 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });


  it('log in, a call appears, park it by clicking, the slot fills and counts down, hang it up', async () => {
    await fx.provision('cb-a');
    await fx.provision('cb-b');
    await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 712, timeout: 120, announce: false });
    await login();
    assert.equal(page.url(), `${base()}/console`, 'the token is in no URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('console.token')), TOKEN);

    const parked = await fx.uas('core-uas-reinvite-once.xml', await fx.register('cb-b'), { timeoutSec: 60 });
    const parker = fx.call('core-call-bye-received.xml', 'cb-a', 'cb-b', { timeoutSec: 60 });
    const id = (await fx.liveCall()).id;
    const row = `tr[data-call="${id}"]`;
    await waitText(`${row} td.state`, /^answered$/);
    assert.equal(await text(`${row} td.caller`), 'cb-a');
    assert.equal(await text(`${row} td.callee`), 'cb-b');

    await page.click(`${row} button.park-callee`);
    const slot = 'li[data-slot="701"]';
    await waitText(`${slot} .parked`, /^cb-b$/);
    assert.equal(await text(`${slot} .parker`), 'by cb-a');
    await waitText(`${row} td.state`, /^parked at 701$/);
    const first = await waitText(`${slot} .countdown`, /^[12]:\d\d$/);
    // the countdown moves on its own: the page ticks, nothing is fetched for it
    await page.waitForFunction((sel: string, was: string) => document.querySelector(sel)?.textContent !== was, { timeout: 5000 }, `${slot} .countdown`, first);
    const ra = await parker;
    assert.equal(ra.code, 0, ra.errors);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png') });

    await page.click(`${row} button.hangup`);
    // nothing happens before the confirmation
    assert.equal((await fx.api('GET', `/v1/calls/${id}`)).status, 200);
    await page.click(`${row} button.hangup-yes`);
    await page.waitForSelector(row, { hidden: true, timeout: 20000 });
    await page.waitForSelector(`${slot}:not(.occupied)`, { timeout: 20000 });
    assert.equal((await parked.done).code, 0, 'the parked phone got the BYE');
  });

  it('a park lot set elsewhere (REST, another console) redraws the live page\'s grid without reloading it', async () => {
    await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 703, timeout: 60, announce: false });
    await login();
    await waitText('#status', /^live$/);
    await page.waitForSelector('li[data-slot="703"]', { timeout: 15000 });
    assert.equal(await page.$('li[data-slot="706"]'), null);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 706, timeout: 60, announce: false })).status, 200);
    // told by park.lot-changed on GET /v1/events: the page fetches the lot again
    await page.waitForSelector('li[data-slot="706"]', { timeout: 15000 });
  });

  it('shows the API\'s error message when an action fails', async () => {
    await fx.provision('ce-a');
    await fx.provision('ce-b');
    await login();
    await waitText('#status', /^live$/);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: false })).status, 200);
    try {
      const uas = await fx.uas('core-uas.xml', await fx.register('ce-b'), { timeoutSec: 60 });
      const caller = fx.call('core-call-bye-received.xml', 'ce-a', 'ce-b', { timeoutSec: 60 });
      const id = (await fx.liveCall()).id;
      const row = `tr[data-call="${id}"]`;
      await waitText(`${row} td.state`, /^answered$/);
      await page.click(`${row} button.hold`);
      assert.match(await waitText('#error', /E_MOH_OFF/), /music on hold is off for this tenant \(E_MOH_OFF\)/);
      assert.equal(await text(`${row} td.hold`), '', 'not held');
      assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
      await uas.done;
      await caller;
    } finally {
      await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true });
    }
  });

  it('a wrong token is refused and the login form comes back with the reason', async () => {
    await login({ token: 'not-the-token', live: false });
    await waitText('.login .error', /refused/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('console.token')), null);
  });
});
