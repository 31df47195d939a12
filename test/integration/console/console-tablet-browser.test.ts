import assert from 'node:assert/strict';
import type { Page } from 'puppeteer-core';
import { consoleBrowser } from '../../support/console-browser';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';

/** The page's width beyond the viewport: what a tablet user would have to scroll sideways to reach. */
function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Issue 20 item 6: usable on a tablet (768 px wide, portrait), on the live page and the tenant page. */
describe('console: on a tablet-sized screen', function () {
  this.timeout(90000);
  const fx = coreFixture();
  let page: Page;
  const { waitText, login } = consoleBrowser(() => fx.server(), { width: 768, height: 1024 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });

  it('nothing is wider than the screen, with a live call listed and on the tenant page', async () => {
    await fx.provision('tb-a');
    await fx.provision('tb-b');
    await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 712, timeout: 120, announce: false });
    await login();
    const uas = await fx.uas('core-uas.xml', await fx.register('tb-b'), { timeoutSec: 60 });
    const caller = fx.call('core-call-bye-received.xml', 'tb-a', 'tb-b', { timeoutSec: 60 });
    const id = (await fx.liveCall()).id;
    await waitText(`tr[data-call="${id}"] td.state`, /^answered$/);
    assert.equal(await overflow(page), 0, 'the live page fits the width');
    await page.click('#nav-tenant');
    await page.waitForSelector('#user-add', { timeout: 20000 });
    assert.equal(await overflow(page), 0, 'the tenant page fits the width');
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    await uas.done;
    await caller;
  });
});
