import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { consoleBrowser } from '../../support/console-browser';
import { freePort } from '../../support/ports';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';

/** as console-browser.test.ts: a temporary folder unless SCREENSHOTS_DIR names one */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR ? path.resolve(process.env.SCREENSHOTS_DIR) : path.join(tmpdir(), 'feature-server-console');

/** The console's pickup, conference and registration views (issue 20) in a real browser, against a real server and sipp phones. */
describe('console: pickup groups, conferences and registrations in a browser', function () {
  this.timeout(120000);
  const fx = coreFixture();
  let page: Page;
  const { text, waitText, login } = consoleBrowser(() => fx.server(), { width: 1100, height: 1400 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });


  it('a call ringing in a pickup group shows under the group; Pick up for a user rings that user, who takes the call', async () => {
    await fx.provision('gp-a');
    await fx.provision('gp-b', undefined, { callGroups: ['sales'] });
    await fx.provision('gp-c', undefined, { pickupGroups: ['sales'] });
    await login();
    await waitText('#pickup-empty', /Nothing is ringing/);
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('gp-b'));
    const pickerPhone = await fx.uas('core-uas.xml', await fx.register('gp-c'));
    // registrations: the phones registered after the page loaded are listed on the
    // registration.changed event, well before the 30 s poll would fetch them
    await waitText('.registrations tr[data-user="gp-c"] td.contact', /^sip:/, 15000);
    const caller = fx.call('core-call.xml', 'gp-a', 'gp-b', { durationMs: 1500, timeoutSec: 30 });

    const group = '.pickup-group[data-group="sales"]';
    await waitText(`${group} td.callee`, /^gp-b$/);
    assert.equal(await text(`${group} td.caller`), 'gp-a');
    await page.type(`${group} form.pickup input`, 'gp-c');
    await page.click(`${group} form.pickup button`);
    // the picker answered: the call is gp-a with gp-c now, and nothing rings in the group
    const live = await fx.liveCall((x) => x.state === 'answered' && x.caller.user === 'gp-a');
    assert.equal(live.callee.user, 'gp-c', 'answered by the picker');
    await page.waitForSelector(group, { hidden: true, timeout: 20000 });
    await waitText(`tr[data-call="${live.id}"] td.callee`, /^gp-c$/);
    assert.equal((await rings.done).code, 0, 'the ringing phone was cancelled');
    assert.equal((await caller).code, 0);
    assert.equal((await pickerPhone.done).code, 0, 'the picker\'s phone answered and got the BYE');
  });

  it('merge two calls into a conference by clicking; the members show; remove one (confirmed); the conference goes when it ends', async () => {
    for (const u of ['gc-a', 'gc-b', 'gc-c']) await fx.provision(u);
    await login();
    const rtp = String(await freePort('udp'));
    const b = await fx.uas('core-uas-reinvite-once.xml', await fx.register('gc-b'), { timeoutSec: 60 });
    const c = await fx.uas('core-uas-reinvite-once.xml', await fx.register('gc-c'), { timeoutSec: 60 });
    // the host keeps its first call (moved into the bridge) for 15 s after the merge, then hangs up: the conference ends (policy "end")
    const first = fx.call('core-call-reinvited-media.xml', 'gc-a', 'gc-b', { vars: { caller: 'gc-a', rtp_port: rtp }, durationMs: 15000, timeoutSec: 60 });
    const one = await fx.liveCall((x) => x.callee.user === 'gc-b' && x.state === 'answered');
    const second = fx.call('core-call-bye-received.xml', 'gc-a', 'gc-c', { timeoutSec: 60 });
    const two = await fx.liveCall((x) => x.callee.user === 'gc-c' && x.state === 'answered');
    await waitText(`tr[data-call="${two.id}"] td.state`, /^answered$/);
    await waitText(`tr[data-call="${one.id}"] td.state`, /^answered$/);

    assert.equal(await text('#merge-pair option:checked'), 'gc-a with gc-b and gc-c');
    await page.click('#merge');
    const conf = '.conference';
    await page.waitForFunction((sel: string) => document.querySelectorAll(sel).length === 3, { timeout: 20000 }, `${conf} tr[data-member]`);
    const users = await page.$$eval(`${conf} tr[data-member]`, (rows) => rows.map((r) => r.getAttribute('data-user')));
    assert.deepEqual(users.sort(), ['gc-a', 'gc-b', 'gc-c']);
    assert.match(await text(`${conf} tr[data-user="gc-a"] td.user`), /host/);
    // the merged calls are gone from the calls list
    await page.waitForSelector(`tr[data-call="${one.id}"]`, { hidden: true, timeout: 20000 });
    await waitText('#registrations-count', /^2$/, 15000);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-conference.png') });

    const memberC = `${conf} tr[data-user="gc-c"]`;
    await page.click(`${memberC} button.remove`);
    // nothing happens before the confirmation
    const listed = (await fx.api('GET', '/v1/conferences')).body as { conferences: Array<{ members: unknown[] }> };
    assert.equal(listed.conferences[0]?.members.length, 3);
    await page.click(`${memberC} button.remove-yes`);
    await page.waitForSelector(memberC, { hidden: true, timeout: 20000 });
    assert.equal((await page.$$(`${conf} tr[data-member]`)).length, 2);
    assert.equal((await c.done).code, 0, 'the removed member got the BYE');

    await page.waitForSelector(conf, { hidden: true, timeout: 40000 });
    for (const x of [await first, await second, await b.done]) assert.equal(x.code, 0, x.errors);
  });

  it('a failed conference action shows the API\'s message and code', async () => {
    await fx.provision('gf-a');
    await fx.provision('gf-b');
    await fx.provision('gf-c');
    await login();
    const rtp = String(await freePort('udp'));
    const b = await fx.uas('core-uas-reinvite-once.xml', await fx.register('gf-b'), { timeoutSec: 60 });
    const c = await fx.uas('core-uas-reinvite-once.xml', await fx.register('gf-c'), { timeoutSec: 60 });
    const first = fx.call('core-call-reinvited-media.xml', 'gf-a', 'gf-b', { vars: { caller: 'gf-a', rtp_port: rtp }, durationMs: 8000, timeoutSec: 60 });
    await fx.liveCall((x) => x.callee.user === 'gf-b' && x.state === 'answered');
    const second = fx.call('core-call-bye-received.xml', 'gf-a', 'gf-c', { timeoutSec: 60 });
    await fx.liveCall((x) => x.callee.user === 'gf-c' && x.state === 'answered');
    await page.click('#merge');
    await page.waitForSelector('.conference', { timeout: 20000 });
    // gf-x has no phone: the add fails and says why (the host stays 8 s in the conference)
    await page.type('.conference form.add-member input', 'gf-x');
    await page.click('.conference form.add-member button');
    assert.match(await waitText('#error', /E_CONF_NO_ANSWER/), /gf-x has no registered phone \(E_CONF_NO_ANSWER\)/);
    await page.waitForSelector('.conference', { hidden: true, timeout: 40000 });
    for (const x of [await first, await second, await b.done, await c.done]) assert.equal(x.code, 0, x.errors);
  });
});
