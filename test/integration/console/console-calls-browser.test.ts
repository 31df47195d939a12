import assert from 'node:assert/strict';
import type { Page } from 'puppeteer-core';
import { consoleBrowser } from '../../support/console-browser';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';

/** The console's call panel and plots (issue 20 items 5, 6) in a real browser, against a real server and sipp phones. */
describe('console: call panel and plots in a browser', function () {
  this.timeout(90000);
  const fx = coreFixture();
  let page: Page;
  const { text, waitText, login } = consoleBrowser(() => fx.server(), { width: 1100, height: 900 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });


  it('open a call\'s panel, park its callee into a chosen slot: that slot fills', async () => {
    await fx.provision('cp-a');
    await fx.provision('cp-b');
    await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 712, timeout: 120, announce: false });
    await login();
    const parked = await fx.uas('core-uas-reinvite-once.xml', await fx.register('cp-b'), { timeoutSec: 60 });
    const parker = fx.call('core-call-bye-received.xml', 'cp-a', 'cp-b', { timeoutSec: 60 });
    const id = (await fx.liveCall()).id;
    const row = `tr[data-call="${id}"]`;
    await waitText(`${row} td.state`, /^answered$/);
    await page.click(`${row} td.caller`);
    await waitText('#call-panel-title', /cp-a → cp-b/);
    await page.select('#panel-park-slot', '705');
    await page.click('#panel-submit');
    assert.match(await waitText('.panel-confirm', /slot 705/), /Park callee cp-b in slot 705\?/);
    // nothing is parked before the confirmation
    assert.equal(await page.$('li[data-slot="705"].occupied'), null);
    await page.click('#panel-yes');
    await waitText('#panel-result', /^Parked in slot 705\.$/);
    await waitText('li[data-slot="705"] .parked', /^cp-b$/);
    assert.equal(await page.$('li[data-slot="701"].occupied'), null, 'the first free slot stayed free');
    assert.equal((await parker).code, 0);
    const slotCall = (await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Array<{ slot: string; callId: string }> };
    assert.deepEqual(slotCall.parks.map((p) => p.slot), ['705']);
    assert.equal((await fx.api('DELETE', `/v1/calls/${slotCall.parks[0].callId}`)).status, 204);
    assert.equal((await parked.done).code, 0);
  });

  it('a blind transfer to a user with no phone shows the API\'s message and code; the call stays', async () => {
    await fx.provision('cx-a');
    await fx.provision('cx-b');
    await fx.provision('cx-nobody');
    await login();
    const uas = await fx.uas('core-uas.xml', await fx.register('cx-b'), { timeoutSec: 60 });
    const caller = fx.call('core-call-bye-received.xml', 'cx-a', 'cx-b', { timeoutSec: 60 });
    const id = (await fx.liveCall()).id;
    const row = `tr[data-call="${id}"]`;
    await waitText(`${row} td.state`, /^answered$/);
    await page.click(`${row} td.callee`);
    await page.click('#panel-tab-blind');
    await page.type('#panel-blind-to', 'cx-nobody');
    await page.click('#panel-submit');
    await waitText('.panel-confirm', /Transfer caller cx-a to cx-nobody\?/);
    await page.click('#panel-yes');
    assert.match(await waitText('#panel-error', /\(E_TRANSFER_[A-Z_]+\)$/), /cx-nobody/);
    assert.equal(await text(`${row} td.state`), 'answered');
    assert.equal((await fx.api('GET', `/v1/calls/${id}`)).status, 200);
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    await uas.done;
    await caller;
  });

  it('the plots render from /v1/stats/history; a tenant token is told they need the operator token', async () => {
    const history = (await fx.api('GET', '/v1/stats/history')).body as { instanceId: string; samples: Array<{ offered: number; partial?: boolean }> };
    assert.equal(history.samples.at(-1)?.partial, true);
    await login();
    await waitText('#plots-title', new RegExp(`instance ${history.instanceId}`));
    for (const plot of ['#plot-calls', '#plot-rate', '#plot-levels']) assert.ok(await page.$(`${plot} svg`), `${plot} is drawn`);
    // parked calls and conferences (their gauges): a dot each for the minute under way at least
    assert.ok(await page.$('#plot-levels circle.dot.parked'));
    assert.ok(await page.$('#plot-levels circle.dot.conferences'));
    assert.match(await text('#plot-levels .plot-legend'), /conferences 0/);
    await page.evaluate(() => sessionStorage.clear());
    const { token } = (await fx.api('POST', `/v1/tenants/${TENANT}/tokens`, {})).body as { token: string };
    await login({ token });
    await waitText('#plots-note', /need the operator token/);
  });
});
