import assert from 'node:assert/strict';
import type { HTTPRequest, Page } from 'puppeteer-core';
import { consoleBrowser } from '../../support/console-browser';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';

/** The console's tenant page (issue 20 item 4) in a real browser, against a real server. */
describe('console: tenant page in a browser', function () {
  this.timeout(90000);
  const fx = coreFixture();
  let page: Page;
  const { text, waitText, login } = consoleBrowser(() => fx.server(), { width: 1100, height: 900 }, (p) => { page = p; }, { token: TOKEN, tenant: TENANT });
  /** every request the page sent to /v1, as `METHOD path` */
  let sent: string[];
  /** the JSON body of each request that had one, in the order of `sent` ones with a body */
  let bodies: Array<{ request: string; body: unknown }>;

  beforeEach(async () => {
    sent = [];
    bodies = [];
    page.on('request', (r: HTTPRequest) => {
      const url = new URL(r.url());
      if (!url.pathname.startsWith('/v1/')) return;
      const request = `${r.method()} ${decodeURIComponent(url.pathname)}`;
      sent.push(request);
      const data = r.postData();
      if (data) bodies.push({ request, body: JSON.parse(data) as unknown });
    });
  });

  /** replaces what a field holds with `value`, typed as the operator would */
  const fill = async (selector: string, value: string): Promise<void> => {
    await page.waitForSelector(selector, { timeout: 20000 });
    await page.$eval(selector, (el) => {
      (el as HTMLInputElement).focus();
      (el as HTMLInputElement).select();
    });
    await page.keyboard.press('Backspace');
    if (value) await page.keyboard.type(value);
  };
  const get = async (path: string): Promise<Record<string, unknown>> => {
    const r = await fx.api('GET', path);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as Record<string, unknown>;
  };

  /** logs in with the tenant and opens the tenant page through the nav */
  async function openTenantPage(): Promise<void> {
    await login();
    await page.click('#nav-tenant');
    await waitText('.tenant-name', new RegExp(`^Tenant ${TENANT.replace(/\./g, '\\.')}$`));
    assert.equal(new URL(page.url()).hash, '#/tenant');
  }

  it('a bad user is refused by the schema in the page before any request; a good one is added with its groups', async () => {
    await openTenantPage();
    await page.waitForSelector('#user-add', { timeout: 20000 });
    await fill('#user-add-user', 'bad user');
    await fill('#user-add-password', 'abc');
    await page.click('#user-add button[type="submit"]');
    assert.match(await waitText('#user-add-user-error', /must match/), /contains characters not allowed here/);
    assert.equal(await text('#user-add-password-error'), 'must NOT have fewer than 4 characters');
    assert.equal(await page.$eval('#user-add-user', (e) => e.getAttribute('aria-invalid')), 'true');
    assert.deepEqual(sent.filter((s) => s.startsWith('PUT')), [], 'nothing was sent');
    assert.equal((await fx.api('GET', `/v1/tenants/${TENANT}/users/bad%20user`)).status, 400);

    await fill('#user-add-user', 'ct-ann');
    await fill('#user-add-password', 'ann-secret');
    await fill('#user-add-displayName', 'Ann Example');
    await fill('#user-add-pickupGroups', 'sales, support');
    await fill('#user-add-callGroups', 'sales');
    await page.click('#user-add button[type="submit"]');
    await waitText('#user-add-outcome', /^User saved\.$/);
    assert.deepEqual(sent.filter((s) => s.startsWith('PUT')), [`PUT /v1/tenants/${TENANT}/users/ct-ann`]);
    const ann = await get(`/v1/tenants/${TENANT}/users/ct-ann`);
    assert.equal(ann.displayName, 'Ann Example');
    assert.deepEqual(ann.pickupGroups, ['sales', 'support']);
    assert.deepEqual(ann.callGroups, ['sales']);
    // the list shows the new user
    await waitText('tr[data-user="ct-ann"] td.pickup-groups', /^sales, support$/);
    await fx.register('ct-ann', { password: 'ann-secret' });
  });

  it('saving a user\'s groups PATCHes no password: the phone still registers with the old one', async () => {
    await fx.provision('ct-gus', 'gus-secret', { displayName: 'Gus', callGroups: ['ops'] });
    await openTenantPage();
    await page.waitForSelector('tr[data-user="ct-gus"] button.edit', { timeout: 20000 });
    await page.click('tr[data-user="ct-gus"] button.edit');
    assert.equal(await page.$('#user-edit-password'), null, 'the Groups form has no password field');
    await fill('#user-edit-pickupGroups', 'sales, support');
    await page.click('#user-edit button[type="submit"]');
    await waitText('#user-edit-outcome', /^Saved\.$/);
    const path = `/v1/tenants/${TENANT}/users/ct-gus`;
    assert.deepEqual(sent.filter((s) => !s.startsWith('GET')), [`PATCH ${path}`]);
    assert.deepEqual(bodies, [{ request: `PATCH ${path}`, body: {
      displayName: 'Gus', pickupGroups: ['sales', 'support'], callGroups: ['ops'], dialogWatchers: [], anonymousCallRejection: false,
    } }]);
    await waitText('tr[data-user="ct-gus"] td.pickup-groups', /^sales, support$/);
    const gus = await get(path);
    assert.deepEqual([gus.displayName, gus.pickupGroups, gus.callGroups], ['Gus', ['sales', 'support'], ['ops']]);
    await fx.register('ct-gus', { password: 'gus-secret' });
  });

  it('a password reset keeps the user as it was and the phone registers with the new password', async () => {
    await fx.provision('ct-bob', 'old-secret', { displayName: 'Bob', callGroups: ['ops'], anonymousCallRejection: true });
    await openTenantPage();
    await page.waitForSelector('tr[data-user="ct-bob"] button.reset', { timeout: 20000 });
    await page.click('tr[data-user="ct-bob"] button.reset');
    await fill('#user-reset-password', 'no');
    await page.click('#user-reset button[type="submit"]');
    await waitText('#user-reset-password-error', /fewer than 4/);
    assert.deepEqual(sent.filter((s) => !s.startsWith('GET')), []);
    await fill('#user-reset-password', 'new-secret-2');
    await page.click('#user-reset button[type="submit"]');
    await waitText('#user-reset-outcome', /^Password set\.$/);
    // the password alone: nothing the page holds of the user is written back
    assert.deepEqual(bodies, [{ request: `PATCH /v1/tenants/${TENANT}/users/ct-bob`, body: { password: 'new-secret-2' } }]);
    const bob = await get(`/v1/tenants/${TENANT}/users/ct-bob`);
    assert.equal(bob.displayName, 'Bob');
    assert.deepEqual(bob.callGroups, ['ops']);
    assert.equal(bob.anonymousCallRejection, true);
    await fx.register('ct-bob', { password: 'new-secret-2' });
  });

  it('changes the park lot, and shows the API\'s refusal with its message and code', async () => {
    await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 712, timeout: 120, announce: false });
    await openTenantPage();
    await page.waitForFunction(() => (document.querySelector('#park-firstSlot') as HTMLInputElement | null)?.value === '701', { timeout: 20000 });
    // the schema cannot see that the last slot comes before the first: the server says so
    await fill('#park-firstSlot', '751');
    await fill('#park-lastSlot', '740');
    await page.click('#park button[type="submit"]');
    assert.match(await waitText('#park-outcome', /E_BAD_REQUEST/), /lastSlot must be at or after firstSlot.*\(E_BAD_REQUEST\)/);
    // the schema can see a zero timeout: no request
    const before = sent.length;
    await fill('#park-lastSlot', '760');
    await fill('#park-timeout', '0');
    await page.click('#park button[type="submit"]');
    await waitText('#park-timeout-error', /^must be >= 1$/);
    assert.equal(sent.length, before, 'nothing was sent');
    await fill('#park-timeout', '90');
    await page.click('#park button[type="submit"]');
    await waitText('#park-outcome', /^Saved\.$/);
    const lot = await get(`/v1/tenants/${TENANT}/park`);
    assert.deepEqual([lot.extension, lot.firstSlot, lot.lastSlot, lot.timeout], ['700', 751, 760, 90]);
    // the live page's grid follows the new lot
    await page.click('#nav-live');
    await page.waitForSelector('li[data-slot="751"]', { timeout: 20000 });
    assert.equal(await page.$('li[data-slot="701"]'), null);
  });

  it('sets a music class and makes it the default', async () => {
    await openTenantPage();
    await page.waitForSelector('#moh-classes', { timeout: 20000 });
    await page.$eval('#moh-enabled', (e) => {
      if (!(e as HTMLInputElement).checked) (e as HTMLInputElement).click();
    });
    await fill('#moh-classes', 'default=\njazz=sip:jazz@music.example.net');
    await fill('#moh-defaultClass', 'jazz');
    await fill('#moh-users', 'ct-ann=nosuch class');
    await page.click('#moh button[type="submit"]');
    assert.match(await waitText('#moh-users-error', /must match/), /contains characters not allowed/);
    assert.deepEqual(sent.filter((s) => s.startsWith('PUT')), []);
    await fill('#moh-users', '');
    await page.click('#moh button[type="submit"]');
    await waitText('#moh-outcome', /^Saved\.$/);
    const moh = await get(`/v1/tenants/${TENANT}/moh`);
    assert.equal(moh.defaultClass, 'jazz');
    assert.deepEqual(moh.classes, { default: {}, jazz: { uri: 'sip:jazz@music.example.net' } });
    // the form shows what the server kept
    assert.equal(await page.$eval('#moh-classes', (e) => (e as HTMLTextAreaElement).value), 'default=\njazz=sip:jazz@music.example.net');
  });
  it('saves a user\'s forwarding, the pickup codes and the conference policy', async () => {
    await fx.provision('ct-cat');
    await fx.provision('ct-dan');
    await openTenantPage();
    await page.waitForSelector('tr[data-user="ct-cat"] button.forwarding', { timeout: 20000 });
    await page.click('tr[data-user="ct-cat"] button.forwarding');
    await fill('#forwarding-busy', 'ct-dan');
    await fill('#forwarding-noAnswerSeconds', '3');
    await page.click('#forwarding button[type="submit"]');
    await waitText('#forwarding-noAnswerSeconds-error', /^must be >= 5$/);
    await fill('#forwarding-noAnswerSeconds', '25');
    await fill('#forwarding-noAnswer', 'ct-nobody');
    await page.click('#forwarding button[type="submit"]');
    // a target that is no user: the schema allows it, the server does not
    assert.match(await waitText('#forwarding-outcome', /E_FORWARD_TARGET_UNKNOWN/), /no user ct-nobody/);
    await fill('#forwarding-noAnswer', '');
    await page.click('#forwarding button[type="submit"]');
    await waitText('#forwarding-outcome', /^Saved\.$/);
    assert.deepEqual(await get(`/v1/tenants/${TENANT}/users/ct-cat/forwarding`), { busy: 'ct-dan', noAnswerSeconds: 25, noAnswerOverlap: false, dnd: false });

    await fill('#pickup-groupCode', '*88');
    await fill('#pickup-directedPrefix', '#9');
    await page.click('#pickup button[type="submit"]');
    await waitText('#pickup-outcome', /^Saved\.$/);
    await page.select('#conference-hostLeaves', 'continue');
    await fill('#conference-mergeCode', '*33');
    await page.click('#conference button[type="submit"]');
    await waitText('#conference-outcome', /^Saved\.$/);
    assert.deepEqual(await get(`/v1/tenants/${TENANT}/pickup`), { groupCode: '*88', directedPrefix: '#9' });
    const conf = await get(`/v1/tenants/${TENANT}/conference`);
    assert.deepEqual([conf.mergeCode, conf.hostLeaves], ['*33', 'continue']);
    // put the codes back for any later test of this suite
    await fx.api('PUT', `/v1/tenants/${TENANT}/pickup`, { groupCode: '*8', directedPrefix: '**' });
    await fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end' });
  });
});
