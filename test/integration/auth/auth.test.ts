import assert from 'node:assert/strict';
import { DigestAuth } from '../../../lib/sip/digest-auth';
import { answer, challengeParams } from '../../support/digest-client';
import { coreFixture, TENANT } from '../core/fixture';
import { UdpPhone, type Reply } from './udp-phone';

/**
 * Issue #13 items 5-7 against the whole server: replayed credentials (same nonce and
 * nonce-count) are challenged and never act, the digest uri must be the Request-URI,
 * stale nonces get stale=true whenever the password was right, SHA-256 is offered first
 * and works, wrong passwords ban the source (REST lists and lifts bans), and an AOR
 * binds at most MAX_CONTACTS contacts.
 */
describe('auth: digest replay, uri, staleness, SHA-256, bans, contact limit (issue #13)', function () {
  this.timeout(30000);
  const fx = coreFixture({ DIGEST_ALGORITHMS: 'SHA-256,MD5', MAX_CONTACTS: '10', AUTH_FAILURE_LIMIT: '10' });
  const phones: UdpPhone[] = [];
  let nextAddress = 10;
  let cseq = 100;

  /** a phone on its own loopback address (127.0.0.10, .11, ...) */
  async function phone(): Promise<UdpPhone> {
    const p = await new UdpPhone(`127.0.0.${nextAddress++}`, { host: '127.0.0.1', port: fx.sipPort() }).start();
    phones.push(p);
    return p;
  }

  afterEach(() => {
    for (const p of phones.splice(0)) p.close();
  });

  const regUri = (): string => `sip:127.0.0.1:${fx.sipPort()}`;
  const aor = (user: string): string => `<sip:${user}@${TENANT}>`;
  const challenges = (r: Reply): string[] => r.headers.get('www-authenticate') ?? r.headers.get('proxy-authenticate') ?? [];

  function register(p: UdpPhone, user: string, headers: Record<string, string | string[]>, cseq = 1, callId = `reg-${user}-${p.address}`): Promise<Reply> {
    return p.send({ method: 'REGISTER', uri: regUri(), from: aor(user), to: aor(user), callId, cseq, headers: { Expires: '3600', ...headers } });
  }

  async function contacts(user: string): Promise<string[]> {
    const r = await fx.api('GET', `/v1/tenants/${TENANT}/registrations`);
    const entry = (r.body as { registrations: Array<{ user: string; bindings: Array<{ contact: string }> }> }).registrations.find((e) => e.user === user);
    return (entry?.bindings ?? []).map((b) => b.contact).sort();
  }

  /** 401, then credentials for the challenge at `pick` (0: SHA-256, 1: MD5); the authenticated reply and the header sent */
  async function registerWithAuth(p: UdpPhone, user: string, contact: string, o: { pick?: number; password?: string } = {}): Promise<{ reply: Reply; auth: string; challenge: Reply }> {
    // one Call-ID per phone and user, CSeq rising (RFC 3261 10.2.4), as a phone does
    const challenge = await register(p, user, { Contact: contact }, ++cseq);
    assert.equal(challenge.status, 401);
    const auth = answer(challenges(challenge)[o.pick ?? 0], { user, password: o.password ?? `pw-${user}`, method: 'REGISTER', uri: regUri() });
    const reply = await register(p, user, { Contact: contact, Authorization: auth }, ++cseq);
    return { reply, auth, challenge };
  }

  it('offers SHA-256 first and MD5 second (RFC 8760); SHA-256 and MD5 both register', async () => {
    await fx.provision('sha');
    const p = await phone();
    const { reply, challenge } = await registerWithAuth(p, 'sha', p.contact);
    assert.deepEqual(challenges(challenge).map((c) => challengeParams(c).algorithm), ['SHA-256', 'MD5']);
    assert.equal(challengeParams(challenges(challenge)[0]).qop, 'auth');
    assert.equal(reply.status, 200, reply.raw);
    assert.deepEqual(await contacts('sha'), [p.contact.slice(1, -1)]);
    const md5 = await registerWithAuth(p, 'sha', p.contact, { pick: 1 });
    assert.equal(md5.reply.status, 200, md5.reply.raw);
  });

  it('a replayed REGISTER (same nonce and nc) neither adds nor removes a binding: 401', async () => {
    await fx.provision('victim');
    const p = await phone();
    const { reply, auth } = await registerWithAuth(p, 'victim', p.contact);
    assert.equal(reply.status, 200);
    // the attacker resends the captured credentials from elsewhere with its own Contact
    const attacker = await phone();
    const hijack = await register(attacker, 'victim', { Contact: attacker.contact, Authorization: auth }, 3, 'attacker-call');
    assert.equal(hijack.status, 401, hijack.raw);
    assert.match(challenges(hijack)[0], /stale=true/);
    // ... or tries to unregister the victim
    const unreg = await register(attacker, 'victim', { Contact: '*', Expires: '0', Authorization: auth }, 3, 'attacker-call-2');
    assert.equal(unreg.status, 401, unreg.raw);
    assert.deepEqual(await contacts('victim'), [p.contact.slice(1, -1)]);
  });

  it('a replayed INVITE (same nonce and nc) is challenged again, not routed', async () => {
    await fx.provision('caller');
    await fx.provision('callee');
    const p = await phone();
    const uri = `sip:callee@127.0.0.1:${fx.sipPort()}`;
    const invite = (headers: Record<string, string>, cseq: number, callId: string): Promise<Reply> =>
      p.send({ method: 'INVITE', uri, from: aor('caller'), to: '<sip:callee@127.0.0.1>', callId, cseq, headers });
    const first = await invite({}, 1, 'inv-1');
    assert.equal(first.status, 407);
    const auth = answer(challenges(first)[0], { user: 'caller', password: 'pw-caller', method: 'INVITE', uri });
    // routed: callee is not registered, which only an authenticated caller learns
    const routed = await invite({ 'Proxy-Authorization': auth }, 2, 'inv-1');
    assert.equal(routed.status, 404, routed.raw);
    const replayed = await invite({ 'Proxy-Authorization': auth }, 1, 'inv-replay');
    assert.equal(replayed.status, 407, replayed.raw);
    // with the next nonce-count, the same phone goes on
    const next = answer(challenges(first)[0], { user: 'caller', password: 'pw-caller', method: 'INVITE', uri, nc: 2 });
    assert.equal((await invite({ 'Proxy-Authorization': next }, 3, 'inv-1')).status, 404);
  });

  it('a digest uri that is not the Request-URI gets 400 and is never routed', async () => {
    await fx.provision('u1');
    const p = await phone();
    const uri = `sip:u2@127.0.0.1:${fx.sipPort()}`;
    const first = await p.send({ method: 'INVITE', uri, from: aor('u1'), to: '<sip:u2@127.0.0.1>' });
    const auth = answer(challenges(first)[0], { user: 'u1', password: 'pw-u1', method: 'INVITE', uri: `sip:u3@127.0.0.1:${fx.sipPort()}` });
    const r = await p.send({ method: 'INVITE', uri, from: aor('u1'), to: '<sip:u2@127.0.0.1>', cseq: 2, headers: { 'Proxy-Authorization': auth } });
    assert.equal(r.status, 400, r.raw);
    const reg = await register(p, 'u1', { Contact: p.contact }, 1);
    const regAuth = answer(challenges(reg)[0], { user: 'u1', password: 'pw-u1', method: 'REGISTER', uri: 'sip:other.example.com' });
    assert.equal((await register(p, 'u1', { Contact: p.contact, Authorization: regAuth }, 2)).status, 400);
    assert.deepEqual(await contacts('u1'), []);
  });

  it('an old nonce of ours with the right password gets stale=true, and the retry succeeds', async () => {
    await fx.provision('old');
    const p = await phone();
    const secret = Buffer.from((await fx.redis().client.get('digest:nonce-secret')) ?? '', 'hex');
    const hourAgo = new DigestAuth({ secret, now: () => Date.now() - 3_600_000 }).challenge(TENANT)[0];
    const auth = answer(hourAgo, { user: 'old', password: 'pw-old', method: 'REGISTER', uri: regUri() });
    const stale = await register(p, 'old', { Contact: p.contact, Authorization: auth }, 1);
    assert.equal(stale.status, 401, stale.raw);
    assert.ok(challenges(stale).every((c) => /stale=true/.test(c)), challenges(stale).join(' | '));
    const retry = answer(challenges(stale)[0], { user: 'old', password: 'pw-old', method: 'REGISTER', uri: regUri() });
    assert.equal((await register(p, 'old', { Contact: p.contact, Authorization: retry }, 2)).status, 200);
    // the same old nonce with a wrong password is a failure, not staleness
    const wrong = answer(hourAgo, { user: 'old', password: 'nope', method: 'REGISTER', uri: regUri() });
    assert.equal((await register(p, 'old', { Contact: p.contact, Authorization: wrong }, 3)).status, 403);
  });

  it('a nonce signed with another secret (a restart, a new secret) and the right password gets stale=true', async () => {
    await fx.provision('moved');
    const p = await phone();
    const foreign = new DigestAuth().challenge(TENANT)[0];
    const auth = answer(foreign, { user: 'moved', password: 'pw-moved', method: 'REGISTER', uri: regUri() });
    const r = await register(p, 'moved', { Contact: p.contact, Authorization: auth }, 1);
    assert.equal(r.status, 401, r.raw);
    assert.match(challenges(r)[0], /stale=true/);
  });

  it('10 wrong passwords ban the source: the right one is then refused (403), GET /v1/bans lists it, DELETE lifts it', async () => {
    await fx.provision('target');
    const p = await phone();
    for (let i = 0; i < 10; i++) {
      const { reply } = await registerWithAuth(p, 'target', p.contact, { password: `guess-${i}` });
      assert.equal(reply.status, 403, `guess ${i}: ${reply.raw}`);
    }
    const banned = await register(p, 'target', { Contact: p.contact }, 1);
    assert.equal(banned.status, 403, 'banned: refused before any challenge');
    const list = await fx.api('GET', '/v1/bans');
    assert.equal(list.status, 200);
    const ban = (list.body as { bans: Array<{ address: string; until: string; failures: number }> }).bans.find((b) => b.address === p.address);
    assert.ok(ban, JSON.stringify(list.body));
    assert.equal(ban.failures, 10);
    assert.ok(Date.parse(ban.until) > Date.now() + 10 * 60_000, ban.until);
    // another source is not affected
    const other = await phone();
    assert.equal((await registerWithAuth(other, 'target', other.contact)).reply.status, 200);
    assert.equal((await fx.api('DELETE', `/v1/bans/${p.address}`)).status, 204);
    assert.equal((await registerWithAuth(p, 'target', p.contact)).reply.status, 200);
    const again = await fx.api('DELETE', `/v1/bans/${p.address}`);
    assert.equal(again.status, 404);
    assert.equal((again.body as { code: string }).code, 'E_NOT_FOUND');
    assert.equal((await fx.api('DELETE', '/v1/bans/not-an-address')).status, 400);
  });

  it('a banned source costs no Redis command: 200 requests refused from memory', async () => {
    const p = await phone();
    for (let i = 0; i < 10; i++) {
      const { reply } = await registerWithAuth(p, 'nobody', p.contact, { password: 'x' });
      assert.equal(reply.status, 403);
    }
    const commands = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await fx.redis().client.info('stats'))?.[1]);
    const before = await commands();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      register(p, 'nobody', { Contact: p.contact, Authorization: 'Digest username="nobody", realm="x", nonce="n", uri="u", response="r"' }, 1, `flood-${i}`)));
    const used = (await commands()) - before;
    assert.ok(replies.every((r) => r.status === 403));
    // the INFO calls themselves, and a ban-list refresh (2 commands) that may fall in between
    assert.ok(used <= 6, `${used} Redis commands for 200 banned requests`);
    assert.equal((await fx.api('DELETE', `/v1/bans/${p.address}`)).status, 204);
  });

  it('more than MAX_CONTACTS (10) contacts for one AOR get 403, and nothing is stored', async () => {
    await fx.provision('many');
    const p = await phone();
    const list = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `<sip:many-${i + from}@${p.address}:5060>`).join(', ');
    const eleven = await registerWithAuth(p, 'many', list(11));
    assert.equal(eleven.reply.status, 403, eleven.reply.raw);
    assert.match(eleven.reply.reason, /Too Many Contacts/);
    assert.deepEqual(await contacts('many'), []);
    assert.equal((await registerWithAuth(p, 'many', list(10))).reply.status, 200);
    // one more in a later REGISTER would make 11: refused atomically, the 10 stay
    const more = await registerWithAuth(p, 'many', list(1, 10));
    assert.equal(more.reply.status, 403);
    assert.equal((await contacts('many')).length, 10);
    // replacing one (expires 0) while adding one stays at 10
    const swap = await registerWithAuth(p, 'many', `<sip:many-0@${p.address}:5060>;expires=0, ${list(1, 10)}`);
    assert.equal(swap.reply.status, 200, swap.reply.raw);
    assert.equal((await contacts('many')).length, 10);
  });
});
