import assert from 'node:assert/strict';
import { coreFixture, TENANT } from '../core/fixture';
import { header, SipPeer, type IncomingInvite, type PeerDialog, type SipMessage } from './sip-peer';

/**
 * Races between the parties of a call (issue #14): messages a phone may legally send
 * back to back, or that cross on the wire. Each race runs RACE_RUNS times (default 20);
 * after every run: the server answers /health, every request of either phone got its
 * final response, each leg got the BYE SIP requires, and nothing of the call is left
 * (GET /v1/calls, rtpengine sessions, engine dialogs, the server's own calls).
 */
const RUNS = Math.max(1, Number(process.env.RACE_RUNS ?? 20));

describe('races: every race ends both legs and leaves nothing behind', function () {
  this.timeout(60000 + RUNS * 6000);
  const fx = coreFixture();
  let a: SipPeer;
  let b: SipPeer;
  let c: SipPeer;
  const [A, B, C] = ['race-a', 'race-b', 'race-c'];

  before(async function () {
    this.timeout(30000);
    await fx.provision(A);
    await fx.provision(B, undefined, { callGroups: ['race'] });
    await fx.provision(C, undefined, { pickupGroups: ['race'] });
    const server = { host: '127.0.0.1', port: fx.sipPort() };
    [a, b, c] = await Promise.all([new SipPeer(server, TENANT).start(), new SipPeer(server, TENANT).start(), new SipPeer(server, TENANT).start()]);
  });

  beforeEach(async () => {
    // the fixture's afterEach clears registrations
    await b.register(B);
  });

  after(() => {
    for (const p of [a, b, c]) p?.close();
  });

  /** A calls B; resolves once B has the INVITE (and A a 180, when `ring`). */
  async function dial(opts: { autoAck?: boolean; ring?: boolean } = {}): Promise<{ inv: IncomingInvite; call: ReturnType<SipPeer['call']> }> {
    let ringing: () => void = () => undefined;
    const rang = new Promise<void>((resolve) => (ringing = resolve));
    const call = a.call({ to: B, user: A, autoAck: opts.autoAck }, (m) => {
      if (m.status === 180) ringing();
    });
    call.result.catch(() => undefined);
    const inv = await b.nextInvite();
    if (opts.ring) {
      inv.send(180);
      await rang;
    }
    return { inv, call };
  }

  /** An answered call: both dialogs, once B has the server's ACK. */
  async function answered(): Promise<{ ad: PeerDialog; bd: PeerDialog }> {
    const { inv, call } = await dial();
    inv.send(200, b.sdp());
    const r = await call.result;
    assert.equal(r.response.status, 200);
    await b.waitRequest((m) => m.method === 'ACK' && header(m, 'call-id') === inv.dialog.callId, 5000, 'ACK at the callee');
    return { ad: r.dialog!, bd: inv.dialog };
  }

  function byeAt(p: SipPeer, d: PeerDialog, who: string): Promise<SipMessage> {
    return p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === d.callId, 8000, `BYE at ${who}`);
  }

  /** The server alive and nothing of the call left anywhere. */
  async function settled(): Promise<void> {
    const health = await fx.api('GET', '/health');
    assert.equal(health.status, 200, `the server is healthy: ${JSON.stringify(health.body)}`);
    const deadline = Date.now() + 8000;
    for (;;) {
      const stats = await fx.engineStats();
      const listed = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
      const calls = Array.isArray(listed) ? listed : listed.calls ?? [];
      const sessions = await fx.media().anchor.list();
      const live = fx.server().calls.size;
      if (stats.dialogs === 0 && calls.length === 0 && sessions.length === 0 && live === 0) return;
      if (Date.now() > deadline) {
        assert.fail(`left behind: ${JSON.stringify({ dialogs: stats.dialogs, calls: calls.length, sessions, live })}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function repeat(race: (run: number) => Promise<void>): Promise<void> {
    for (let run = 0; run < RUNS; run++) {
      try {
        await race(run);
        await settled();
      } catch (err) {
        (err as Error).message = `run ${run + 1} of ${RUNS}: ${(err as Error).message}`;
        throw err;
      }
    }
  }

  it('both parties send BYE at the same moment', () => repeat(async () => {
    const { ad, bd } = await answered();
    const byeA = a.inDialog(ad, 'BYE');
    const byeB = b.inDialog(bd, 'BYE');
    a.sendRaw(byeA);
    b.sendRaw(byeB);
    // RFC 3261 15.1.2: each BYE gets a final response; crossing BYEs may meet a dialog gone (481)
    const [ra, rb] = await Promise.all([a.responseTo(byeA), b.responseTo(byeB)]);
    assert.ok([200, 481].includes(ra.status!), `caller's BYE: ${ra.status}`);
    assert.ok([200, 481].includes(rb.status!), `callee's BYE: ${rb.status}`);
  }));

  it('the caller sends ACK and BYE back to back: the callee gets the BYE', () => repeat(async () => {
    const { inv, call } = await dial({ autoAck: false });
    inv.send(200, b.sdp());
    const r = await call.result;
    assert.equal(r.response.status, 200);
    const ad = r.dialog!;
    const bye = a.inDialog(ad, 'BYE');
    a.sendRaw(a.ack(ad), bye);
    assert.equal((await a.responseTo(bye)).status, 200);
    await byeAt(b, inv.dialog, 'the callee');
  }));

  for (const [dir, label] of [['caller', 'caller re-INVITEs'], ['callee', 'callee re-INVITEs']] as const) {
    for (const hangs of ['re-INVITEr', 'other'] as const) {
      it(`BYE during a re-INVITE (${label}, the ${hangs === 'other' ? 'other party' : 're-INVITEr'} hangs up as the 200 goes back)`, () => repeat(async () => {
        const { ad, bd } = await answered();
        const [x, xd, y, yd] = dir === 'caller' ? [a, ad, b, bd] : [b, bd, a, ad];
        y.holdReinvites = true;
        let reinvite: string;
        let reinviteDone: Promise<SipMessage>;
        let held: IncomingInvite;
        try {
          reinvite = x.inDialog(xd, 'INVITE', { body: x.sdp() });
          reinviteDone = x.transact(reinvite);
          reinviteDone.catch(() => undefined);
          held = await y.nextReinvite();
        } finally {
          y.holdReinvites = false;
        }
        let bye: string;
        if (hangs === 're-INVITEr') {
          bye = x.inDialog(xd, 'BYE');
          y.sendRaw(held.response(200, y.sdp()));
          x.sendRaw(bye);
        } else {
          bye = y.inDialog(yd, 'BYE');
          y.sendRaw(held.response(200, y.sdp()), bye);
        }
        const rr = await reinviteDone;
        x.ackReinvite(xd, reinvite, rr);
        const [hanger, gone, goneDialog] = hangs === 're-INVITEr' ? [x, y, yd] : [y, x, xd];
        assert.ok([200, 481].includes((await hanger.responseTo(bye)).status!), 'the BYE is answered');
        await byeAt(gone, goneDialog, 'the other party');
      }));
    }
  }

  it('the caller\'s CANCEL crosses the callee\'s 200: the callee is hung up, the caller ends cancelled or answered', () => repeat(async () => {
    const { inv, call } = await dial({ ring: true });
    inv.send(200, b.sdp());
    const cancel = call.cancel();
    const [r, rc] = await Promise.all([call.result, a.responseTo(cancel)]);
    assert.ok([200, 481].includes(rc.status!), `CANCEL: ${rc.status}`);
    if (r.response.status === 200) {
      // RFC 3261 9.1: the 200 won, the CANCEL did nothing; the caller hangs up itself
      const bye = a.inDialog(r.dialog!, 'BYE');
      a.sendRaw(bye);
      assert.equal((await a.responseTo(bye)).status, 200);
    } else {
      assert.equal(r.response.status, 487);
    }
    await byeAt(b, inv.dialog, 'the callee');
  }));

  it('the callee hangs up the moment its 200 is ACKed, while the caller is being answered', () => repeat(async () => {
    const { inv, call } = await dial();
    const acked = b.waitRequest((m) => m.method === 'ACK' && header(m, 'call-id') === inv.dialog.callId, 5000, 'ACK');
    inv.send(200, b.sdp());
    await acked;
    const bye = b.inDialog(inv.dialog, 'BYE');
    b.sendRaw(bye);
    assert.equal((await b.responseTo(bye)).status, 200);
    const r = await call.result;
    if (r.response.status === 200) await byeAt(a, r.dialog!, 'the caller');
    else assert.ok(r.response.status! >= 400, `caller: ${r.response.status}`);
  }));

  /** The id of the answered call whose callee is `user`. */
  async function callTo(user: string): Promise<string> {
    return (await fx.liveCall((x) => x.callee.user === user && x.state === 'answered')).id;
  }

  /** BYE from each phone in its dialog, all in one tick; each gets a final response (200, or 481 once the dialog is gone). */
  async function allHangUp(...legs: Array<[SipPeer, PeerDialog]>): Promise<void> {
    const byes = legs.map(([p, d]) => [p, p.inDialog(d, 'BYE')] as const);
    for (const [p, bye] of byes) p.sendRaw(bye);
    for (const [p, bye] of byes) {
      const r = await p.responseTo(bye);
      assert.ok([200, 481].includes(r.status!), `BYE: ${r.status}`);
    }
  }

  it('both parties hang up during a blind transfer (REST): the target is cancelled or hung up, nothing is left', () => repeat(async (run) => {
    await c.register(C);
    const { ad, bd } = await answered();
    const id = await callTo(B);
    // the callee transfers the caller to C; while C is being rung both parties leave
    const transfer = fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'caller', to: C });
    const inv = await c.nextInvite();
    // even runs: the target answers as the parties leave; odd runs: once they are gone
    // (unless cancelled by then): its late 200 must be hung up, not left as a ghost
    if (run % 2 === 0) inv.send(200, c.sdp());
    await allHangUp([a, ad], [b, bd]);
    const mine = (m: SipMessage): boolean => header(m, 'call-id') === inv.dialog.callId;
    if (run % 2 === 1) {
      if (!c.received.some((m) => m.method === 'CANCEL' && mine(m))) inv.send(200, c.sdp());
      await c.waitRequest((m) => (m.method === 'CANCEL' || m.method === 'BYE') && mine(m), 8000, 'CANCEL or BYE at the target');
    }
    const t = await transfer;
    assert.ok(t.status < 500 || t.status === 502 || t.status === 503, `transfer: ${t.status} ${JSON.stringify(t.body)}`);
    if (t.status === 200) {
      // the transfer won: C and the caller are connected, and the caller's BYE reached C
      await c.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === inv.dialog.callId, 8000, 'BYE at the target');
    }
  }));

  it('all parties hang up during a merge (REST): no conference and no call is left', () => repeat(async () => {
    await c.register(C);
    const first = await answered();
    const id1 = await callTo(B);
    const second = a.call({ to: C, user: A });
    const inv = await c.nextInvite();
    inv.send(200, c.sdp());
    const r2 = await second.result;
    assert.equal(r2.response.status, 200);
    const id2 = await callTo(C);
    const merge = fx.api('POST', '/v1/conferences', { calls: [id1, id2] });
    await allHangUp([b, first.bd], [c, inv.dialog], [a, first.ad], [a, r2.dialog!]);
    const m = await merge;
    assert.ok([201, 404, 409, 500, 502, 503].includes(m.status), `merge: ${m.status} ${JSON.stringify(m.body)}`);
    const deadline = Date.now() + 8000;
    for (;;) {
      const listed = (await fx.api('GET', '/v1/conferences')).body as { conferences?: unknown[] } | unknown[];
      if ((Array.isArray(listed) ? listed : listed.conferences ?? []).length === 0) break;
      if (Date.now() > deadline) assert.fail(`a conference left: ${JSON.stringify(listed)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }));

  it('group pickup (*8): the picker sends ACK and BYE back to back; the ringing phone is cancelled, the caller hung up', () => repeat(async () => {
    const { inv, call } = await dial({ ring: true });
    await ringingListed();
    const pick = c.call({ to: '*8', user: C, autoAck: false });
    const pr = await pick.result;
    assert.equal(pr.response.status, 200, `pickup: ${pr.response.status}`);
    const bye = c.inDialog(pr.dialog!, 'BYE');
    c.sendRaw(c.ack(pr.dialog!), bye);
    assert.equal((await c.responseTo(bye)).status, 200);
    await b.waitRequest((m) => m.method === 'CANCEL' && header(m, 'call-id') === inv.dialog.callId, 5000, 'CANCEL at the ringing phone');
    const r = await call.result;
    // the picker is answered before the caller (lib/calls/pick-up-ringing.ts): a picker
    // gone by the time the caller is answered leaves it refused (480), else hung up
    if (r.response.status === 200) await byeAt(a, r.dialog!, 'the caller');
    else assert.equal(r.response.status, 480, 'the caller is refused: its picker left');
  }));

  it('group pickup (*8) while the caller cancels: one of them wins, nothing is left', () => repeat(async () => {
    const { call } = await dial({ ring: true });
    await ringingListed();
    const pick = c.call({ to: '*8', user: C });
    pick.result.catch(() => undefined);
    const cancel = call.cancel();
    const [r, pr] = await Promise.all([call.result, pick.result]);
    assert.ok([200, 481].includes((await a.responseTo(cancel)).status!));
    if (pr.response.status === 200) {
      const bye = c.inDialog(pr.dialog!, 'BYE');
      c.sendRaw(bye);
      assert.ok([200, 481].includes((await c.responseTo(bye)).status!));
      if (r.response.status === 200) await byeAt(a, r.dialog!, 'the caller');
    }
    if (r.response.status === 200 && pr.response.status !== 200) {
      // answered by nobody cannot be: a 200 to the caller means the picker was connected
      assert.fail(`caller answered, picker got ${pr.response.status}`);
    }
  }));

  it('the caller re-INVITEs right behind its ACK: the offer reaches the callee', () => repeat(async () => {
    const { inv, call } = await dial({ autoAck: false });
    inv.send(200, b.sdp());
    const r = await call.result;
    const ad = r.dialog!;
    const offer = a.sdp(41000);
    const reinvite = a.inDialog(ad, 'INVITE', { body: offer });
    a.sendRaw(a.ack(ad), reinvite);
    const relayed = await b.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === inv.dialog.callId && m !== inv.request, 5000, 're-INVITE at the callee');
    assert.ok(relayed.body.includes('m=audio'), 'the callee gets an offer');
    const rr = await a.responseTo(reinvite);
    a.ackReinvite(ad, reinvite, rr);
    assert.equal(rr.status, 200);
    assert.equal((await a.request(ad, 'BYE')).status, 200);
    await byeAt(b, inv.dialog, 'the callee');
  }));

  it('the callee re-INVITEs right behind the ACK: relayed, or refused with 491 while the caller is answered', () => repeat(async () => {
    const { inv, call } = await dial();
    const acked = b.waitRequest((m) => m.method === 'ACK' && header(m, 'call-id') === inv.dialog.callId, 5000, 'ACK');
    inv.send(200, b.sdp());
    await acked;
    let rr = await b.request(inv.dialog, 'INVITE', { body: b.sdp() });
    const r = await call.result;
    assert.equal(r.response.status, 200);
    // RFC 3261 14.1: after a 491 the re-INVITE is tried again (the caller is answered by now)
    for (let i = 0; rr.status === 491 && i < 5; i++) {
      await new Promise((res) => setTimeout(res, 50));
      rr = await b.request(inv.dialog, 'INVITE', { body: b.sdp() });
    }
    assert.equal(rr.status, 200, `the callee's re-INVITE: ${rr.status}`);
    await a.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === r.dialog!.callId, 5000, 're-INVITE at the caller');
    assert.equal((await b.request(inv.dialog, 'BYE')).status, 200);
    await byeAt(a, r.dialog!, 'the caller');
  }));

  /** the ringing call is in the pickup feature's list (it is stored as the callee rings) */
  async function ringingListed(): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const body = (await fx.api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, unknown[]> };
      if ((body.groups.race?.length ?? 0) > 0) return;
      if (Date.now() > deadline) throw new Error('the call is not listed as ringing');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});
