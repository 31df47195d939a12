import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import winston from 'winston';
import { createXcap, type Xcap, type XcapChange } from '../../../features/presence/xcap';
import { createApi, type Api } from '../../../lib/api';
import { RequestBus, redisTransport } from '../../../lib/bus';
import { DigestAuth } from '../../../lib/sip/digest-auth';
import { ApiTokenRepository, NonceCountStore, RegistrationRepository, UserRepository } from '../../../lib/store';
import { answer } from '../../support/digest-client';
import { startTestRedis, type TestRedis } from '../../support/redis';

const logger = winston.createLogger({ silent: true });
const TENANT = 'example.com';
const RL = 'urn:ietf:params:xml:ns:resource-lists';
const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';
const MAX_DOC = 4096;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Instance {
  api: Api;
  bus: RequestBus;
  xcap: Xcap & { stop(): Promise<void> };
  port: number;
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

interface Ask {
  user?: string;
  password?: string;
  type?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** One XCAP request as a client does it: unauthenticated, then again answering the MD5 challenge. */
async function xcap(port: number, method: string, path: string, o: Ask = {}): Promise<Reply> {
  const headers = { ...(o.type ? { 'content-type': o.type } : {}), ...(o.headers ?? {}) };
  const first = await send(port, method, path, headers, o.body);
  if (first.status !== 401 || !o.user) return first;
  const challenges = ([] as string[]).concat(first.headers['www-authenticate'] ?? []);
  const md5 = challenges.find((c) => c.includes('algorithm=MD5'));
  assert.ok(md5, `an MD5 challenge among ${challenges.join(' | ')}`);
  const authorization = answer(md5, { user: o.user, password: o.password ?? `pw-${o.user}`, method, uri: path });
  return send(port, method, path, { ...headers, authorization }, o.body);
}

const listsUrl = (user: string, selector = ''): string =>
  `/xcap-root/resource-lists/users/sip:${user}@${TENANT}/index${selector ? `/~~/${selector}` : ''}`;
const rulesUrl = (user: string, selector = ''): string =>
  `/xcap-root/pres-rules/users/sip:${user}@${TENANT}/index${selector ? `/~~/${selector}` : ''}`;
/** a node selector as a client puts it in a URI (quotes and brackets percent-encoded) */
const enc = (s: string): string => s.replace(/"/g, '%22').replace(/\[/g, '%5B').replace(/]/g, '%5D');

const LISTS = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}"><list name="buddies"><entry uri="sip:bob@${TENANT}"/><entry uri="sip:carol@${TENANT}"/></list></resource-lists>`;
const rules = (sh: string, who = `sip:bob@${TENANT}`): string => `<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="${CP}" xmlns:pr="${PR}"><cr:rule id="r1"><cr:conditions><cr:identity><cr:one id="${who}"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>${sh}</pr:sub-handling></cr:actions><cr:transformations/></cr:rule></cr:ruleset>`;

/** resolves with the next change `xcap` hears, or fails after `ms` */
/** the first change heard for `user`'s documents */
function changeFor(x: Xcap, user: string, ms = 10_000): Promise<XcapChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no xcap change heard for ${user}`));
    }, ms);
    const off = x.onChange((c) => {
      if (c.user !== user) return;
      clearTimeout(timer);
      off();
      resolve(c);
    });
  });
}

function nextChange(x: Xcap, ms = 10_000): Promise<XcapChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no xcap change heard'));
    }, ms);
    const off = x.onChange((c) => {
      clearTimeout(timer);
      off();
      resolve(c);
    });
  });
}

describe('presence xcap: the XCAP server over HTTP with digest, two instances on one Redis', function () {
  this.timeout(30000);
  let redis: TestRedis;
  const instances: Instance[] = [];
  /** what lib/security would be told: failures counted per address, and which addresses are banned */
  const failures: string[] = [];
  const banned = new Set<string>();
  const guard = { isBanned: (a: string) => banned.has(a), record: async (a: string) => failures.push(a) };

  before(async () => {
    redis = await startTestRedis();
    const secret = randomBytes(32);
    for (const id of ['fs-1', 'fs-2']) {
      const bus = await RequestBus.start(redisTransport(redis.client, logger), id, logger);
      const api = await createApi({
        logger, token: 'unused-operator-token', tenantTokens: new ApiTokenRepository(redis.client),
        health: async () => ({}), users: new UserRepository(redis.client), registrations: new RegistrationRepository(redis.client),
        calls: { list: async () => [], get: async () => null, hangup: async () => false },
      });
      // as the server builds it: one nonce secret and one nonce-count store for every instance
      const digest = new DigestAuth({ secret, algorithms: ['SHA-256', 'MD5'], counter: new NonceCountStore(redis.client) });
      const x = createXcap({ redis: redis.client, logger, bus, digest, guard, maxDocumentBytes: MAX_DOC });
      x.mount(api.http);
      await api.app.listen({ host: '127.0.0.1', port: 0 });
      instances.push({ api, bus, xcap: x, port: (api.app.server.address() as AddressInfo).port });
    }
  });
  after(async () => {
    for (const i of instances) {
      await i.xcap.stop();
      await i.api.app.close();
      await i.bus.close();
    }
    await redis?.stop();
  });
  beforeEach(async () => {
    failures.length = 0;
    banned.clear();
    await redis.flush();
    const users = new UserRepository(redis.client);
    for (const u of ['alice', 'bob']) await users.put(TENANT, u, { password: `pw-${u}` });
  });

  it('challenges without credentials, re-challenges a wrong password, refuses another user\'s document', async () => {
    const { port } = instances[0];
    const none = await xcap(port, 'GET', listsUrl('alice'));
    assert.equal(none.status, 401);
    const challenges = ([] as string[]).concat(none.headers['www-authenticate'] ?? []);
    assert.ok(challenges.length >= 1 && challenges.every((c) => c.startsWith(`Digest realm="${TENANT}"`) && c.includes('qop="auth"')), challenges.join(' | '));
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), { user: 'alice', password: 'wrong' })).status, 401);
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), { user: 'nobody' })).status, 401);
    const other = await xcap(port, 'PUT', listsUrl('bob'), { user: 'alice', type: 'application/resource-lists+xml', body: LISTS });
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.body).code, 'E_FORBIDDEN');
    assert.equal(await redis.client.exists(`xcap:${TENANT}:resource-lists:index:bob`), 0, 'nothing stored for bob');
    // own document: authenticated, not there yet
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), { user: 'alice' })).status, 404);
    // the two wrong answers were counted against the source, like SIP's (lib/security)
    assert.deepEqual(failures, ['127.0.0.1', '127.0.0.1']);
  });

  it('refuses a banned source before looking at its credentials', async () => {
    banned.add('127.0.0.1');
    const res = await xcap(instances[1].port, 'GET', listsUrl('alice'), { user: 'alice' });
    assert.equal(res.status, 403);
    assert.equal(res.headers['www-authenticate'], undefined);
  });

  it('serves xcap-caps to anyone, read-only', async () => {
    const { port } = instances[0];
    const caps = await xcap(port, 'GET', '/xcap-root/xcap-caps/global/index');
    assert.equal(caps.status, 200);
    assert.equal(caps.headers['content-type'], 'application/xcap-caps+xml');
    assert.ok(caps.headers.etag);
    for (const auid of ['resource-lists', 'pres-rules', 'xcap-caps']) assert.ok(caps.body.includes(`<auid>${auid}</auid>`), auid);
    const auids = await xcap(port, 'GET', '/xcap-root/xcap-caps/global/index/~~/xcap-caps/auids');
    assert.equal(auids.headers['content-type'], 'application/xcap-el+xml');
    assert.equal((await xcap(port, 'PUT', '/xcap-root/xcap-caps/global/index', { type: 'application/xcap-caps+xml', body: '<x/>' })).status, 405);
  });

  it('PUT, GET, replace and DELETE of a whole document, each with its ETag and media type', async () => {
    const { port } = instances[0];
    const a = { user: 'alice', type: 'application/resource-lists+xml' };
    const created = await xcap(port, 'PUT', listsUrl('alice'), { ...a, body: LISTS });
    assert.equal(created.status, 201);
    const etag1 = created.headers.etag;
    assert.ok(etag1);
    const got = await xcap(port, 'GET', listsUrl('alice'), a);
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'application/resource-lists+xml');
    assert.equal(got.headers.etag, etag1);
    assert.equal(got.body, LISTS);
    const replaced = await xcap(port, 'PUT', listsUrl('alice'), { ...a, body: LISTS.replace('carol', 'dave') });
    assert.equal(replaced.status, 200);
    assert.notEqual(replaced.headers.etag, etag1);
    assert.equal((await xcap(port, 'PUT', listsUrl('alice'), { ...a, type: 'application/xml', body: LISTS })).status, 415);
    assert.equal((await xcap(port, 'DELETE', listsUrl('alice'), a)).status, 200);
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), a)).status, 404);
    assert.equal((await xcap(port, 'DELETE', listsUrl('alice'), a)).status, 404);
  });

  it('GET, PUT and DELETE of elements and attributes through the node selector', async () => {
    const { port } = instances[0];
    const a = { user: 'alice' };
    const list = enc('resource-lists/list[@name="buddies"]');
    const noDoc = await xcap(port, 'PUT', listsUrl('alice', `${list}/${enc('entry[@uri="sip:x@example.com"]')}`), { ...a, type: 'application/xcap-el+xml', body: '<entry uri="sip:x@example.com"/>' });
    assert.equal(noDoc.status, 409);
    assert.match(noDoc.body, /<no-parent/);
    await xcap(port, 'PUT', listsUrl('alice'), { ...a, type: 'application/resource-lists+xml', body: LISTS });

    const el = await xcap(port, 'GET', listsUrl('alice', `${list}/${enc('entry[2]')}`), a);
    assert.equal(el.status, 200);
    assert.equal(el.headers['content-type'], 'application/xcap-el+xml');
    assert.match(el.body, /^<entry [^>]*uri="sip:carol@example.com"/);

    const dave = `${list}/${enc('entry[@uri="sip:dave@example.com"]')}`;
    const put = await xcap(port, 'PUT', listsUrl('alice', dave), { ...a, type: 'application/xcap-el+xml', body: '<entry uri="sip:dave@example.com"><display-name>Dave</display-name></entry>' });
    assert.equal(put.status, 201);
    const name = await xcap(port, 'GET', listsUrl('alice', `${dave}/display-name`), a);
    assert.equal(name.body.replace(/ xmlns="[^"]*"/, ''), '<display-name>Dave</display-name>');
    assert.equal(name.headers.etag, put.headers.etag, 'the document ETag on every response');

    const att = await xcap(port, 'GET', listsUrl('alice', `${list}/@name`), a);
    assert.equal(att.headers['content-type'], 'application/xcap-att+xml');
    assert.equal(att.body, 'buddies');
    const attPut = await xcap(port, 'PUT', listsUrl('alice', `${dave}/@note`), { ...a, type: 'application/xcap-att+xml', body: 'met &amp; liked' });
    assert.equal(attPut.status, 201);
    assert.equal((await xcap(port, 'GET', listsUrl('alice', `${dave}/@note`), a)).body, 'met &amp; liked');
    assert.equal((await xcap(port, 'PUT', listsUrl('alice', `${dave}/@note`), { ...a, type: 'application/xcap-el+xml', body: 'x' })).status, 415);
    assert.equal((await xcap(port, 'DELETE', listsUrl('alice', `${dave}/@note`), a)).status, 200);
    assert.equal((await xcap(port, 'GET', listsUrl('alice', `${dave}/@note`), a)).status, 404);

    assert.equal((await xcap(port, 'DELETE', listsUrl('alice', dave), a)).status, 200);
    assert.equal((await xcap(port, 'GET', listsUrl('alice', dave), a)).status, 404);
    assert.equal((await xcap(port, 'GET', listsUrl('alice', `${list}/${enc('entry[9]')}`), a)).status, 404);
    const cannot = await xcap(port, 'DELETE', listsUrl('alice', `${list}/${enc('entry[1]')}`), a);
    assert.equal(cannot.status, 409);
    assert.match(cannot.body, /<cannot-delete/);
    // the namespace query binds prefixes for the node selector
    const ns = await xcap(port, 'GET', `${listsUrl('alice', enc('r:resource-lists/r:list[@name="buddies"]/@name'))}?xmlns(r=${RL})`, a);
    assert.equal(ns.body, 'buddies');
    assert.equal((await xcap(port, 'GET', listsUrl('alice', enc('resource-lists/list[')), a)).status, 400);
  });

  it('honours If-Match and If-None-Match on documents and elements: 412 on mismatch, 304 on a fresh GET', async () => {
    const { port } = instances[0];
    const a = { user: 'alice', type: 'application/resource-lists+xml' };
    const first = await xcap(port, 'PUT', listsUrl('alice'), { ...a, body: LISTS, headers: { 'if-none-match': '*' } });
    assert.equal(first.status, 201);
    const etag = String(first.headers.etag);
    assert.equal((await xcap(port, 'PUT', listsUrl('alice'), { ...a, body: LISTS, headers: { 'if-none-match': '*' } })).status, 412);
    const second = await xcap(port, 'PUT', listsUrl('alice'), { ...a, body: LISTS.replace('carol', 'dave'), headers: { 'if-match': etag } });
    assert.equal(second.status, 200);
    const stale = await xcap(port, 'PUT', listsUrl('alice', enc('resource-lists/list[@name="buddies"]/entry[@uri="sip:e@example.com"]')),
      { user: 'alice', type: 'application/xcap-el+xml', body: '<entry uri="sip:e@example.com"/>', headers: { 'if-match': etag } });
    assert.equal(stale.status, 412);
    assert.equal(stale.headers.etag, second.headers.etag);
    assert.equal((await xcap(port, 'DELETE', listsUrl('alice'), { user: 'alice', headers: { 'if-match': etag } })).status, 412);
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), { user: 'alice', headers: { 'if-none-match': String(second.headers.etag) } })).status, 304);
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), { user: 'alice', headers: { 'if-none-match': etag } })).status, 200);
    assert.equal((await xcap(port, 'GET', listsUrl('alice'), { user: 'alice' })).body, LISTS.replace('carol', 'dave'), 'the 412s changed nothing');
  });

  it('answers 409 with an xcap-error body for bad XML and broken constraints, and 413 for an oversized body, storing nothing', async () => {
    const { port } = instances[0];
    const a = { user: 'alice', type: 'application/resource-lists+xml' };
    for (const [body, tag] of [
      ['<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>', 'not-well-formed'],
      ['<!DOCTYPE x [<!ENTITY a "b">]><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>', 'not-well-formed'],
      [`<resource-lists xmlns="${RL}"><list name="a"/><list name="a"/></resource-lists>`, 'uniqueness-failure'],
      ['<other/>', 'schema-validation-error'],
    ]) {
      const res = await xcap(port, 'PUT', listsUrl('alice'), { ...a, body });
      assert.equal(res.status, 409, body);
      assert.equal(res.headers['content-type'], 'application/xcap-error+xml');
      assert.match(res.body, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><${tag}[ />]`), body);
    }
    const big = `<resource-lists xmlns="${RL}"><list name="a">${'<entry uri="sip:someone@example.com"/>'.repeat(200)}</list></resource-lists>`;
    const over = await xcap(port, 'PUT', listsUrl('alice'), { ...a, body: big });
    assert.equal(over.status, 413);
    assert.equal(JSON.parse(over.body).code, 'E_PAYLOAD_TOO_LARGE');
    assert.equal(await redis.client.exists(`xcap:${TENANT}:resource-lists:index:alice`), 0);
  });

  it('tells every instance of a pres-rules change, and the other instance authorizes by the new rules at once', async () => {
    const [one, two] = instances;
    assert.equal(await two.xcap.authorize(TENANT, 'alice', `sip:bob@${TENANT}`), 'confirm', 'no rules: confirm');
    const heard = nextChange(two.xcap);
    const put = await xcap(one.port, 'PUT', rulesUrl('alice'), { user: 'alice', type: 'application/auth-policy+xml', body: rules('allow') });
    assert.equal(put.status, 201);
    assert.deepEqual(await heard, { tenant: TENANT, user: 'alice', auid: 'pres-rules' });
    assert.equal(await two.xcap.authorize(TENANT, 'alice', `sip:bob@${TENANT}`), 'allow');
    assert.equal(await two.xcap.authorize(TENANT, 'alice', `sip:carol@${TENANT}`), 'confirm');

    // block bob by changing one element (the watcher blocked mid-subscription, flow 4.4)
    const blocked = nextChange(two.xcap);
    const sh = await xcap(one.port, 'PUT', rulesUrl('alice', `${enc('cr:ruleset/cr:rule[@id="r1"]/cr:actions/pr:sub-handling')}`) + `?xmlns(cr=${CP})xmlns(pr=${PR})`,
      { user: 'alice', type: 'application/xcap-el+xml', body: '<pr:sub-handling>block</pr:sub-handling>' });
    assert.equal(sh.status, 200, sh.body);
    await blocked;
    assert.equal(await two.xcap.authorize(TENANT, 'alice', `sip:bob@${TENANT}`), 'block');
    const bad = await xcap(one.port, 'PUT', rulesUrl('alice'), { user: 'alice', type: 'application/auth-policy+xml', body: rules('maybe') });
    assert.equal(bad.status, 409);
    assert.equal(await two.xcap.authorize(TENANT, 'alice', `sip:bob@${TENANT}`), 'block', 'a refused document changes nothing');
  });

  it('serves a user\'s buddy list to the SIP side, on any instance', async () => {
    const [one, two] = instances;
    assert.equal(await two.xcap.list(TENANT, 'alice', 'buddies'), undefined);
    const heard = nextChange(two.xcap);
    await xcap(one.port, 'PUT', listsUrl('alice'), { user: 'alice', type: 'application/resource-lists+xml', body: LISTS });
    assert.deepEqual(await heard, { tenant: TENANT, user: 'alice', auid: 'resource-lists' });
    assert.deepEqual(await two.xcap.list(TENANT, 'alice', 'buddies'), [`sip:bob@${TENANT}`, `sip:carol@${TENANT}`]);
    assert.equal(await two.xcap.list(TENANT, 'alice', 'nope'), undefined);
  });

  it('follows <entry-ref> and <external> into another user\'s lists of the tenant, and a change there is a change of the list that references it (RFC 4826 3.2, RFC 4662)', async () => {
    const [one, two] = instances;
    const bobList = `resource-lists/users/sip:bob@${TENANT}/index/~~/resource-lists/list%5b@name=%22shared%22%5d`;
    const alice = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}"><list name="team"><entry uri="sip:dave@${TENANT}"/>
<entry-ref ref="${bobList}/entry%5b@uri=%22sip:erin@${TENANT}%22%5d"/>
<external anchor="http://xcap.${TENANT}/xcap-root/${bobList}"/>
<external anchor="http://xcap.other.net/xcap-root/resource-lists/users/sip:mallory@other.net/index/~~/resource-lists/list%5b@name=%22x%22%5d"/>
<entry-ref ref="${bobList}/entry%5b@uri=%22sip:nobody@${TENANT}%22%5d"/>
</list></resource-lists>`;
    const shared = (uris: string[], extra = ''): string => `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}"><list name="shared">${uris.map((u) => `<entry uri="sip:${u}@${TENANT}"/>`).join('')}${extra}</list></resource-lists>`;
    const put1 = await xcap(one.port, 'PUT', listsUrl('bob'), { user: 'bob', type: 'application/resource-lists+xml', body: shared(['erin', 'frank']) });
    assert.ok(put1.status === 200 || put1.status === 201, put1.body);
    const put2 = await xcap(one.port, 'PUT', listsUrl('alice'), { user: 'alice', type: 'application/resource-lists+xml', body: alice });
    assert.ok(put2.status === 200 || put2.status === 201, put2.body);
    assert.deepEqual(await two.xcap.list(TENANT, 'alice', 'team'), ['dave', 'erin', 'frank'].map((u) => `sip:${u}@${TENANT}`),
      'the entry-ref\'s entry and the external list\'s members, each once; nothing from another tenant or a missing entry');

    // bob edits his list (and makes it refer back to alice's: the cycle is expanded once)
    const heard = changeFor(two.xcap, 'alice');
    const back = `<external anchor="http://xcap.${TENANT}/xcap-root/resource-lists/users/sip:alice@${TENANT}/index/~~/resource-lists/list%5b@name=%22team%22%5d"/>`;
    const put3 = await xcap(one.port, 'PUT', listsUrl('bob'), { user: 'bob', type: 'application/resource-lists+xml', body: shared(['gina'], back) });
    assert.equal(put3.status, 200, put3.body);
    assert.deepEqual(await heard, { tenant: TENANT, user: 'alice', auid: 'resource-lists' }, 'alice\'s list subscribers are told');
    assert.deepEqual(await two.xcap.list(TENANT, 'alice', 'team'), ['dave', 'gina'].map((u) => `sip:${u}@${TENANT}`),
      'erin is gone with bob\'s entry (the entry-ref names nothing now), gina came with the external list');
  });
});
