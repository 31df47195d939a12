import assert from 'node:assert/strict';
import { freePort, waitTcpListening, waitUdpBound } from '../support/ports';
import { runSipp, type SippEvent, type SippOptions, type SippResult } from '../support/sipp';

/**
 * Every scenario in test/scenarios played against its sipp mirror on 127.0.0.1: proves
 * the scenarios, and the runner that the engine tests use to drive them.
 */

type PeerOptions = Omit<SippOptions, 'localPort' | 'remote'>;

/** The events without retransmissions. */
function unique(events: SippEvent[]): SippEvent[] {
  return events.filter((e) => !e.retransmission);
}

/** `>INVITE <180 ...`: what one peer sent (>) and received (<), retransmissions left out. */
function flow(events: SippEvent[]): string {
  return unique(events).map((e) => `${e.dir === 'sent' ? '>' : '<'}${e.status ?? e.method}`).join(' ');
}

function report(name: string, r: SippResult): string {
  return `${name}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}, flow: ${flow(r.events)}\n${r.errors}${r.stderr}`;
}

/** Starts the UAS, waits until its port is bound, runs the UAC against it, waits for both. */
async function pair(uas: PeerOptions, uac: PeerOptions): Promise<{ uas: SippResult; uac: SippResult }> {
  const uasPort = await freePort('both');
  const uacPort = await freePort('both');
  const server = runSipp({ timeoutSec: 10, ...uas, localPort: uasPort });
  const exitedEarly = server.done.then((r) => {
    throw new Error(`UAS exited before binding its port\n${report(uas.scenario, r)}`);
  });
  exitedEarly.catch(() => undefined);
  const bound = uas.transport === 't1' ? waitTcpListening(uasPort) : waitUdpBound(uasPort);
  bound.catch(() => undefined);
  try {
    await Promise.race([bound, exitedEarly]);
  } catch (err) {
    await server.kill();
    throw err;
  }
  const client = runSipp({ timeoutSec: 10, ...uac, localPort: uacPort, remote: `127.0.0.1:${uasPort}` });
  const [c, s] = await Promise.all([client.done, server.done]);
  return { uas: s, uac: c };
}

async function passes(uas: PeerOptions, uac: PeerOptions): Promise<{ uas: SippResult; uac: SippResult }> {
  const r = await pair(uas, uac);
  const why = `\n${report(uac.scenario, r.uac)}\n${report(uas.scenario, r.uas)}`;
  assert.equal(r.uac.code, 0, `UAC failed${why}`);
  assert.equal(r.uas.code, 0, `UAS failed${why}`);
  return r;
}

function sdpDirection(e: SippEvent | undefined): string | undefined {
  return e ? /a=(sendrecv|sendonly|recvonly|inactive)/.exec(e.message)?.[1] : undefined;
}

describe('sipp scenarios against their sipp mirrors', function () {
  this.timeout(15000);

  it('uac.xml / uas.xml: basic call, caller hangs up', async () => {
    const r = await passes({ scenario: 'uas.xml' }, { scenario: 'uac.xml', durationMs: 100 });
    assert.equal(flow(r.uac.events), '>INVITE <180 <200 >ACK >BYE <200');
    assert.equal(flow(r.uas.events), '<INVITE >180 >200 <ACK <BYE >200');
  });

  it('uac-bye-received.xml / uas-bye.xml: callee hangs up', async () => {
    const r = await passes({ scenario: 'uas-bye.xml', durationMs: 100 }, { scenario: 'uac-bye-received.xml' });
    assert.equal(flow(r.uac.events), '>INVITE <180 <200 >ACK <BYE >200');
    const bye = r.uas.events.find((e) => e.dir === 'sent' && e.method === 'BYE');
    const invite = r.uas.events.find((e) => e.dir === 'received' && e.method === 'INVITE');
    assert.ok(bye && invite);
    // the callee's BYE goes to the caller's Contact, with the dialog's From/To swapped
    assert.match(bye.firstLine, /^BYE sip:sipp@127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0$/);
    assert.match(bye.message, /\r\nTo: sipp <sip:sipp@127\.0\.0\.1:\d+>;tag=\w+\r\n/);
  });

  describe('CANCEL', () => {
    it('uac-cancel.xml / uas-ring-cancel.xml: 200 for the CANCEL, then 487', async () => {
      const r = await passes({ scenario: 'uas-ring-cancel.xml' }, { scenario: 'uac-cancel.xml' });
      assert.equal(flow(r.uac.events), '>INVITE <180 >CANCEL <200 <487 >ACK');
      const [invite, cancel, ack] = ['INVITE', 'CANCEL', 'ACK'].map((m) => r.uac.events.find((e) => e.dir === 'sent' && e.method === m));
      const branch = (e: SippEvent | undefined): string | undefined => /branch=([^;\r\n]+)/.exec(e?.message ?? '')?.[1];
      assert.ok(branch(invite));
      assert.equal(branch(cancel), branch(invite));
      assert.equal(branch(ack), branch(invite));
    });

    it('uac-cancel.xml / uas-cancel-487-first.xml: 487 (and its ACK) before the 200 for the CANCEL', async () => {
      const r = await passes({ scenario: 'uas-cancel-487-first.xml' }, { scenario: 'uac-cancel.xml' });
      assert.equal(flow(r.uac.events), '>INVITE <180 >CANCEL <487 >ACK <200');
    });

    it('uac-cancel.xml / uas-noanswer.xml', async () => {
      const r = await passes({ scenario: 'uas-noanswer.xml' }, { scenario: 'uac-cancel.xml' });
      assert.equal(flow(r.uas.events), '<INVITE >100 >180 <CANCEL >200 >487 <ACK');
    });
  });

  describe('rejected calls', () => {
    const cases: Array<[string, number]> = [
      ['uas-busy.xml', 486],
      ['uas-decline.xml', 603],
      ['uas-notfound.xml', 404],
      ['uas-timeout.xml', 408],
      ['uas-unavailable.xml', 480],
    ];
    for (const [uas, status] of cases) {
      it(`uac-expect-${status}.xml / ${uas}`, async () => {
        const r = await passes({ scenario: uas }, { scenario: `uac-expect-${status}.xml` });
        assert.equal(flow(r.uac.events), `>INVITE <${status} >ACK`);
        const ack = r.uas.events.find((e) => e.method === 'ACK');
        const response = r.uas.events.find((e) => e.status === status);
        // non-2xx ACK: same branch as the INVITE, To with the response's tag
        assert.match(ack?.message ?? '', /branch=z9hG4bK-\d+-\d+-0\r\n/);
        const toTag = (e: SippEvent | undefined): string | undefined => /\r\nTo:[^\r]*;tag=([^;\r]+)/.exec(e?.message ?? '')?.[1];
        assert.ok(toTag(response));
        assert.equal(toTag(ack), toTag(response));
      });
    }
  });

  describe('re-INVITE', () => {
    it('uac-reinvite.xml / uas-reinvite.xml: hold and resume, answers mirror the offer', async () => {
      const r = await passes({ scenario: 'uas-reinvite.xml' }, { scenario: 'uac-reinvite.xml' });
      assert.equal(flow(r.uac.events), '>INVITE <200 >ACK >INVITE <200 >ACK >INVITE <200 >ACK >BYE <200');
      const offers = unique(r.uac.events).filter((e) => e.dir === 'sent' && e.method === 'INVITE').map(sdpDirection);
      const answers = unique(r.uac.events).filter((e) => e.status === 200 && e.method === 'INVITE').map(sdpDirection);
      assert.deepEqual(offers, ['sendrecv', 'sendonly', 'sendrecv']);
      assert.deepEqual(answers, ['sendrecv', 'recvonly', 'sendrecv']);
    });

    it('uac-reinvite-received.xml / uas-sends-reinvite.xml: the callee re-INVITEs', async () => {
      const r = await passes({ scenario: 'uas-sends-reinvite.xml', durationMs: 50 }, { scenario: 'uac-reinvite-received.xml' });
      assert.equal(flow(r.uac.events), '>INVITE <200 >ACK <INVITE >200 <ACK >BYE <200');
    });
  });

  describe('digest authentication', () => {
    const auth = { username: 'alice', password: 's3cret' };

    it('uac-auth-invite.xml / uas-auth-invite.xml: 407, then INVITE with Proxy-Authorization', async () => {
      const r = await passes({ scenario: 'uas-auth-invite.xml' }, { scenario: 'uac-auth-invite.xml', auth, durationMs: 50 });
      assert.equal(flow(r.uac.events), '>INVITE <407 >ACK >INVITE <180 <200 >ACK >BYE <200');
      const retry = r.uac.events.filter((e) => e.dir === 'sent' && e.method === 'INVITE')[1];
      assert.match(retry?.message ?? '', /\r\nProxy-Authorization: Digest username="alice",/);
      assert.match(retry?.message ?? '', /\r\nCSeq: 2 INVITE\r\n/);
    });

    it('register-auth.xml / uas-register-auth.xml: 401, then REGISTER with Authorization', async () => {
      const r = await passes(
        { scenario: 'uas-register-auth.xml', vars: { auth_user: 'alice', auth_pass: 's3cret' } },
        { scenario: 'register-auth.xml', service: 'alice', auth },
      );
      assert.equal(flow(r.uac.events), '>REGISTER <401 >REGISTER <200');
    });

    it('register-auth.xml / uas-register-auth.xml: a wrong password fails on both sides', async () => {
      const r = await pair(
        { scenario: 'uas-register-auth.xml', vars: { auth_user: 'alice', auth_pass: 's3cret' } },
        { scenario: 'register-auth.xml', service: 'alice', auth: { username: 'alice', password: 'wrong' } },
      );
      assert.equal(r.uac.code, 1, report('register-auth.xml', r.uac));
      assert.equal(r.uas.code, 1, report('uas-register-auth.xml', r.uas));
      assert.ok(r.uac.events.some((e) => e.status === 403));
    });
  });

  it('uac-options.xml / uas-options.xml', async () => {
    const r = await passes({ scenario: 'uas-options.xml' }, { scenario: 'uac-options.xml' });
    assert.equal(flow(r.uac.events), '>OPTIONS <200');
  });

  describe('REFER', () => {
    it('uac-refer.xml / uas-refer-notify.xml: one final NOTIFY', async () => {
      const r = await passes({ scenario: 'uas-refer-notify.xml' }, { scenario: 'uac-refer.xml' });
      assert.equal(flow(r.uac.events), '>INVITE <200 >ACK >REFER <202 <NOTIFY >200 >BYE <200');
      const refer = r.uas.events.find((e) => e.method === 'REFER');
      assert.match(refer?.message ?? '', /\r\nRefer-To: <sip:target@127\.0\.0\.1>\r\n/);
      const notify = r.uac.events.find((e) => e.method === 'NOTIFY');
      assert.match(notify?.message ?? '', /\r\nContent-Type: message\/sipfrag;version=2\.0\r\n[\s\S]*\r\n\r\nSIP\/2\.0 200 OK\r\n$/);
    });

    it('uac-refer.xml / uas-refer-notify-progress.xml: NOTIFYs until the subscription ends; refer_to set', async () => {
      const r = await passes({ scenario: 'uas-refer-notify-progress.xml' }, { scenario: 'uac-refer.xml', vars: { refer_to: 'sip:carol@127.0.0.1:5999' } });
      assert.equal(flow(r.uac.events), '>INVITE <200 >ACK >REFER <202 <NOTIFY >200 <NOTIFY >200 >BYE <200');
      assert.match(r.uas.events.find((e) => e.method === 'REFER')?.message ?? '', /\r\nRefer-To: <sip:carol@127\.0\.0\.1:5999>\r\n/);
    });
  });

  it('uas-silent.xml never answers; kill() stops it with its trace intact', async () => {
    const uasPort = await freePort('both');
    const uas = runSipp({ scenario: 'uas-silent.xml', localPort: uasPort, timeoutSec: 10 });
    await waitUdpBound(uasPort);
    const uac = await runSipp({
      scenario: 'uac.xml', localPort: await freePort('both'), remote: `127.0.0.1:${uasPort}`, timeoutSec: 10,
      extraArgs: ['-recv_timeout', '700'],
    }).done;
    assert.equal(uac.code, 1, report('uac.xml', uac));
    const silent = await uas.kill();
    assert.equal(silent.killed, true);
    assert.ok(silent.events.length >= 1, report('uas-silent.xml', silent));
    assert.ok(silent.events.every((e) => e.dir === 'received' && e.method === 'INVITE'), report('uas-silent.xml', silent));
  });

  describe('over TCP', () => {
    it('uac.xml / uas.xml', async () => {
      const r = await passes({ scenario: 'uas.xml', transport: 't1' }, { scenario: 'uac.xml', transport: 't1', durationMs: 50 });
      assert.equal(flow(r.uac.events), '>INVITE <180 <200 >ACK >BYE <200');
      assert.ok(r.uac.events.every((e) => e.transport === 'TCP'));
    });

    it('uac-cancel.xml / uas-ring-cancel.xml', async () => {
      await passes({ scenario: 'uas-ring-cancel.xml', transport: 't1' }, { scenario: 'uac-cancel.xml', transport: 't1' });
    });

    it('uac-refer.xml / uas-refer-notify.xml', async () => {
      await passes({ scenario: 'uas-refer-notify.xml', transport: 't1' }, { scenario: 'uac-refer.xml', transport: 't1' });
    });
  });
});
