import assert from 'node:assert/strict';
import type { SippEvent, SippResult } from '../../support/sipp';
import { coreFixture, freshUsers, TENANT } from '../core/fixture';
import { callFlow as flow, finalStatus } from '../../support/sipp-results';
import { sipHeaders } from '../../support/sipp-trace';
import { detectTone } from '../../support/goertzel';
import { pcmOf, TonePeer } from '../conference/tone-peer';

const header = (message: string, name: string): string | undefined => sipHeaders(message, name)[0];

/**
 * Call forwarding and do-not-disturb on the ring plan (issue 17; call flows 3.6 no reply,
 * 3.7 busy; service examples 2.6 CFU, 2.7 CFB, 2.8 CFNR): sipp phones on the real server.
 */

/** What one side sent (>) and received (<), retransmissions left out. */

/**
 * The caller's provisional responses and the INVITE's 200, in order. Retransmissions
 * count: sipp takes the target's 180 for a retransmission of the first phone's (the
 * same To tag and CSeq: the caller sees one dialog, RFC 3261 12.1).
 */
function progress(events: SippEvent[]): string[] {
  return events.filter((e) => e.dir === 'received' && ([180, 181, 182, 183].includes(e.status ?? 0) || (e.status === 200 && e.method === 'INVITE')))
    .map((e) => `< ${e.status}`);
}

function invite(r: SippResult): string {
  return r.events.find((e) => e.dir === 'received' && e.method === 'INVITE')?.message ?? '';
}

describe('forwarding: CFU, CFB, CFNR and do-not-disturb through the ring plan', function () {
  this.timeout(40000);
  // NO_ANSWER_TIMEOUT 3 s: a phone that only rings is forwarded after 3 s
  const fx = coreFixture();
  const users = freshUsers(fx);
  const forward = async (user: string, body: Record<string, unknown>): Promise<void> => {
    const r = await fx.api('PUT', `/v1/tenants/${TENANT}/users/${user}/forwarding`, { dnd: false, ...body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };

  it('CFU (service example 2.6): the call goes to the target at once, 181 to the caller, History-Info and Diversion to the target, media anchored', async () => {
    const [a, b, c] = await users('cfua', 'cfub', 'cfuc');
    await forward(b, { unconditional: c });
    // b has no phone registered: without the forward the caller would get 404
    const uas = await fx.uas('core-uas.xml', await fx.register(c));
    const ra = await fx.call('fwd-call.xml', a, b);
    const rc = await uas.done;
    assert.equal(ra.code, 0, ra.errors);
    assert.equal(rc.code, 0, rc.errors);
    const fa = flow(ra.events);
    assert.ok(fa.includes('< 181'), fa.join(' '));
    assert.ok(fa.indexOf('< 181') < fa.indexOf('< 200'));
    const inv = invite(rc);
    assert.match(header(inv, 'To') ?? '', new RegExp(`sip:${b}@`), 'To stays the dialed user (RFC 7044 retargeting)');
    assert.equal(header(inv, 'History-Info'),
      `<sip:${b}@${TENANT}?Reason=SIP%3Bcause%3D302>;index=1, <sip:${c}@${TENANT};cause=302>;index=1.1;mp=1`);
    assert.equal(header(inv, 'Diversion'), `<sip:${b}@${TENANT}>;reason=unconditional;counter=1`);
    const inviteA = ra.events.find((e) => e.dir === 'sent' && e.method === 'INVITE')?.message ?? '';
    assert.notEqual(/m=audio (\d+)/.exec(inv)?.[1], /m=audio (\d+)/.exec(inviteA)?.[1], 'the target is offered rtpengine\'s port');
  });

  it('CFB (call flow 3.7, service example 2.7): the busy phone gets its ACK, then the target rings and answers', async () => {
    const [a, b, c] = await users('cfba', 'cfbb', 'cfbc');
    await forward(b, { busy: c });
    const busy = await fx.uas('core-uas-busy.xml', await fx.register(b));
    const uas = await fx.uas('core-uas.xml', await fx.register(c));
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    const rb = await busy.done;
    assert.deepEqual(flow(rb.events), ['< INVITE', '> 486', '< ACK']);
    assert.equal((await uas.done).code, 0);
    const fa = flow(ra.events);
    assert.ok(!fa.includes('< 486'), 'the caller never sees the busy');
    assert.deepEqual(progress(ra.events), ['< 181', '< 180', '< 200']);
    assert.match(header(invite(await uas.done), 'Diversion') ?? '', /reason=user-busy/);
  });

  it('busy with 182 Queued (call flow 3.8): the 182 reaches the caller, then the busy forward rings the target', async () => {
    const [a, b, c] = await users('qba', 'qbb', 'qbc');
    await forward(b, { busy: c });
    const queued = await fx.uas('fwd-uas-queued-busy.xml', await fx.register(b));
    const uas = await fx.uas('core-uas.xml', await fx.register(c));
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    assert.deepEqual(flow((await queued.done).events), ['< INVITE', '> 182', '> 486', '< ACK']);
    assert.equal((await uas.done).code, 0);
    assert.deepEqual(progress(ra.events), ['< 182', '< 181', '< 180', '< 200']);
  });

  it('CFNR (call flow 3.6, service example 2.8): after the ring time the phone gets CANCEL, the target rings and answers', async () => {
    const [a, b, c] = await users('cfna', 'cfnb', 'cfnc');
    await forward(b, { noAnswer: c });
    const ringing = await fx.uas('core-uas-ring.xml', await fx.register(b));
    const uas = await fx.uas('core-uas.xml', await fx.register(c));
    const started = Date.now();
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    assert.ok(Date.now() - started >= 3000, 'the first phone rang for NO_ANSWER_TIMEOUT (3 s)');
    assert.deepEqual(flow((await ringing.done).events), ['< INVITE', '> 180', '< CANCEL', '> 200', '> 487', '< ACK']);
    assert.deepEqual(progress(ra.events), ['< 180', '< 181', '< 180', '< 200']);
    assert.match(header(invite(await uas.done), 'History-Info') ?? '', /cause=408/);
  });

  it('CFNR overlap: after the ring time the target rings while the first phone keeps ringing; the target answers, the first phone gets CANCEL (completed elsewhere)', async () => {
    const [a, b, c] = await users('cfoa', 'cfob', 'cfoc');
    await forward(b, { noAnswer: c, noAnswerOverlap: true });
    assert.equal(((await fx.api('GET', `/v1/tenants/${TENANT}/users/${b}/forwarding`)).body as { noAnswerOverlap?: boolean }).noAnswerOverlap, true);
    const ringing = await fx.uas('core-uas-ring.xml', await fx.register(b));
    const uas = await fx.uas('core-uas.xml', await fx.register(c));
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    const rb = await ringing.done;
    const rc = await uas.done;
    assert.deepEqual(flow(rb.events), ['< INVITE', '> 180', '< CANCEL', '> 200', '> 487', '< ACK']);
    const cancel = rb.events.find((e) => e.dir === 'received' && e.method === 'CANCEL');
    assert.match(header(cancel?.message ?? '', 'Reason') ?? '', /^SIP;\s*cause=200/, 'cancelled because the target answered, not because its time ran out');
    const targetInvite = rc.events.find((e) => e.dir === 'received' && e.method === 'INVITE');
    assert.ok(cancel && targetInvite && targetInvite.time <= cancel.time, 'the target rang while the first phone was still ringing');
    assert.deepEqual(progress(ra.events), ['< 180', '< 181', '< 180', '< 200']);
    assert.match(header(invite(rc), 'History-Info') ?? '', /cause=408/);
    assert.match(header(invite(rc), 'Diversion') ?? '', /reason=no-answer/);
  });

  it('a forward to a user who forwards too follows the chain; a loop ends with 482', async () => {
    const [a, b, c, d] = await users('cha', 'chb', 'chc', 'chd');
    await forward(b, { unconditional: c });
    await forward(c, { unconditional: d });
    const uas = await fx.uas('core-uas.xml', await fx.register(d));
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    const hi = header(invite(await uas.done), 'History-Info') ?? '';
    assert.match(hi, new RegExp(`<sip:${d}@[^>]*;cause=302>;index=1\\.1\\.1;mp=1\\.1`), hi);
    const [e, f] = await users('lpe', 'lpf');
    await forward(e, { unconditional: f });
    await forward(f, { busy: e, unconditional: e });
    const r = await fx.call('core-expect-final.xml', a, e);
    assert.equal(r.code, 0, r.errors);
    assert.equal(finalStatus(r), 482);
  });

  it('do-not-disturb: 486 without ringing the phone; with a busy forward the call goes there', async () => {
    const [a, b, c] = await users('dnda', 'dndb', 'dndc');
    await forward(b, { dnd: true });
    // b's phone would answer: a 200 fails core-expect-final
    await fx.uas('core-uas.xml', await fx.register(b));
    const r = await fx.call('core-expect-final.xml', a, b);
    assert.equal(r.code, 0, r.errors);
    assert.equal(finalStatus(r), 486);
    assert.match(r.events.find((e) => e.status === 486)?.firstLine ?? '', /Do Not Disturb/);
    await forward(b, { dnd: true, busy: c });
    const uas = await fx.uas('core-uas.xml', await fx.register(c));
    const r2 = await fx.call('fwd-call.xml', a, b);
    assert.equal(r2.code, 0, r2.errors);
    assert.match(header(invite(await uas.done), 'Diversion') ?? '', /reason=do-not-disturb/);
  });

  it('feature codes: *72<user> sets CFU, *73 clears it, *78/*79 DND, each confirmed by a tone (350+440 Hz bursts through rtpengine) and a BYE; a target that is no user gets 404', async () => {
    const [a, c] = await users('fca', 'fcc');
    /** dials a code; resolves with what the phone heard once it got the BYE */
    const dial = async (code: string): Promise<Int16Array> => {
      const phone = await TonePeer.open();
      try {
        const heard = phone.next(20, 10000);
        const r = await fx.call('core-call-bye-received-media.xml', a, code, { vars: { caller: a, rtp_port: String(phone.port) } });
        assert.equal(r.code, 0, `${code}: answered, then a BYE from the server: ${r.errors}`);
        const answer = r.events.find((e) => e.dir === 'received' && e.status === 200 && e.method === 'INVITE')?.message ?? '';
        assert.match(answer, /^a=sendonly/m, `${code}: the answer only sends, the phone listens (RFC 3264 6.1)`);
        return pcmOf(await heard);
      } finally {
        await phone.close();
      }
    };
    const tone = await dial(`*72${c}`);
    assert.equal(detectTone(tone, 440).verdict, 'present', 'the confirmation tone reached the phone');
    assert.equal(detectTone(tone, 1000).verdict, 'absent');
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/forwarding`)).body, { unconditional: c, dnd: false });
    await dial('*78');
    await dial('*73');
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/forwarding`)).body, { dnd: true });
    assert.equal(detectTone(await dial('*79'), 350).verdict, 'present');
    assert.equal(finalStatus(await fx.call('core-expect-final.xml', a, '*72nobody')), 404);
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/forwarding`)).body, { dnd: false });
  });

  it('REST: unknown users 404, unknown or own targets 422, bad bodies 400, DELETE clears', async () => {
    const [a, b] = await users('rsa', 'rsb');
    const put = (user: string, body: unknown) => fx.api('PUT', `/v1/tenants/${TENANT}/users/${user}/forwarding`, body);
    assert.equal((await put('nobody', { dnd: false })).status, 404);
    const unknown = await put(a, { dnd: false, busy: 'nobody' });
    assert.equal(unknown.status, 422);
    assert.equal((unknown.body as { code: string }).code, 'E_FORWARD_TARGET_UNKNOWN');
    assert.equal(((await put(a, { dnd: false, unconditional: a })).body as { code: string }).code, 'E_FORWARD_TO_SELF');
    assert.equal((await put(a, { dnd: false, noAnswerSeconds: 1 })).status, 400);
    assert.equal((await put(a, { dnd: false, colour: 'red' })).status, 400);
    assert.equal((await put(a, { dnd: false, noAnswer: b, noAnswerSeconds: 20 })).status, 200);
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/forwarding`)).body, { dnd: false, noAnswer: b, noAnswerSeconds: 20 });
    assert.equal((await fx.api('DELETE', `/v1/tenants/${TENANT}/users/${a}/forwarding`)).status, 204);
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/forwarding`)).body, { dnd: false });
  });

  it('deleting a user deletes its forwarding, find-me, screening and music class: a new user of that name starts clean', async () => {
    const [a, b] = await users('rda', 'rdb');
    const user = `/v1/tenants/${TENANT}/users/${a}`;
    const moh = `/v1/tenants/${TENANT}/moh`;
    assert.equal((await fx.api('PUT', moh, { enabled: true, defaultClass: 'default', classes: { default: {}, jazz: {} }, users: { [a]: 'jazz', [b]: 'jazz' } })).status, 200);
    await forward(a, { unconditional: b });
    assert.equal((await fx.api('PUT', `${user}/findme`, { enabled: true, locations: [{ users: [b], ringSeconds: 10 }] })).status, 200);
    assert.equal((await fx.api('PUT', `${user}/screening`, { incoming: { anonymous: true, callers: ['666*'] }, outgoing: { destinations: ['1900*'] } })).status, 200);
    const kept = { forwarding: (await fx.api('GET', `${user}/forwarding`)).body, findme: (await fx.api('GET', `${user}/findme`)).body,
      screening: (await fx.api('GET', `${user}/screening`)).body };
    assert.equal((await fx.api('DELETE', user)).status, 204);
    await fx.provision(a);
    const fresh = { forwarding: (await fx.api('GET', `${user}/forwarding`)).body, findme: (await fx.api('GET', `${user}/findme`)).body,
      screening: (await fx.api('GET', `${user}/screening`)).body };
    assert.deepEqual(fresh.forwarding, { dnd: false });
    for (const k of ['forwarding', 'findme', 'screening'] as const) assert.notDeepEqual(fresh[k], kept[k], `${k} of the deleted user is gone`);
    assert.deepEqual((fresh.screening as { incoming: { callers: string[] } }).incoming.callers, []);
    const music = (await fx.api('GET', moh)).body as { users: Record<string, string>; classes: Record<string, unknown> };
    assert.deepEqual(music.users, { [b]: 'jazz' }, 'the deleted user\'s class is gone, the others\' kept');
    assert.deepEqual(Object.keys(music.classes).sort(), ['default', 'jazz']);
  });
});
