import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitUdpBound } from '../support/ports';
import { runSipp, SCENARIO_DIR, type SippEvent, type SippOptions, type SippResult } from '../support/sipp';
import { sipHeaders } from '../support/sipp-trace';
import { ALICE, branchOf, Challenger, HOST, type Behaviour } from '../support/fake-challenger';

/**
 * Self-test of the test/scenarios/core-*.xml scenarios (the ones played against the
 * feature server), without the feature server:
 * - the callers against `Challenger`, a minimal UDP UAS (test/support/fake-challenger.ts) that challenges
 *   every new INVITE with 407 and checks the digest of the retry (uri = request-URI
 *   included), so a wrong -auth_uri shows up here;
 * - the callee (phone) scenarios against the plain sipp UACs of test/scenarios;
 * - core-register/core-unregister against uas-register-auth.xml.
 */

type PeerOptions = Omit<SippOptions, 'localPort' | 'remote'>;

const unique = (events: SippEvent[]): SippEvent[] => events.filter((e) => !e.retransmission);
/** `>INVITE <407 ...`: what sipp sent (>) and received (<), retransmissions left out. */
const flow = (events: SippEvent[]): string => unique(events).map((e) => `${e.dir === 'sent' ? '>' : '<'}${e.status ?? e.method}`).join(' ');
const report = (name: string, r: SippResult): string => `${name}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}, flow: ${flow(r.events)}\n${r.errors}${r.stderr}`;
const sent = (r: SippResult, method: string): SippEvent[] => unique(r.events).filter((e) => e.dir === 'sent' && e.method === method && e.status === undefined);
const header = (e: SippEvent | undefined, name: string): string => (e ? sipHeaders(e.message, name)[0] ?? '' : '');
const branch = (e: SippEvent | undefined): string => branchOf(header(e, 'Via'));
const direction = (e: SippEvent | undefined): string | undefined => (e ? /a=(sendrecv|sendonly|recvonly|inactive)/.exec(e.message)?.[1] : undefined);
const sdpVersion = (e: SippEvent | undefined): string | undefined => (e ? /\r\no=\S+ \S+ (\d+) /.exec(e.message)?.[1] : undefined);

/** A caller scenario against a fresh challenger; `-s bob`, `-set caller alice`, credentials alice's. */
async function callFake(behaviour: Behaviour, opts: PeerOptions): Promise<{ r: SippResult; fake: Challenger }> {
  const fake = await new Challenger(behaviour).start();
  try {
    const r = await runSipp({
      service: 'bob',
      vars: { caller: 'alice' },
      auth: { ...ALICE, uri: `bob@${fake.remote}` },
      timeoutSec: 8,
      durationMs: 50,
      ...opts,
      localPort: await freePort('both'),
      remote: fake.remote,
    }).done;
    return { r, fake };
  } finally {
    fake.close();
  }
}

function passed(name: string, r: SippResult, fake?: Challenger): void {
  assert.equal(r.code, 0, `${report(name, r)}${fake ? `\nauth failures: ${fake.authFailures.join('; ')}` : ''}`);
  if (fake) assert.deepEqual(fake.authFailures, []);
}

/** Starts the UAS, waits until its port is bound, runs the UAC against it; both must pass. */
async function pair(uas: PeerOptions, uac: PeerOptions): Promise<{ uas: SippResult; uac: SippResult }> {
  const uasPort = await freePort('both');
  const server = runSipp({ timeoutSec: 8, durationMs: 50, ...uas, localPort: uasPort });
  const exitedEarly = server.done.then((r) => {
    throw new Error(`UAS exited before binding its port\n${report(uas.scenario, r)}`);
  });
  exitedEarly.catch(() => undefined);
  const bound = waitUdpBound(uasPort);
  bound.catch(() => undefined);
  try {
    await Promise.race([bound, exitedEarly]);
  } catch (err) {
    await server.kill();
    throw err;
  }
  const client = runSipp({ timeoutSec: 8, durationMs: 50, ...uac, localPort: await freePort('both'), remote: `${HOST}:${uasPort}` });
  const [c, s] = await Promise.all([client.done, server.done]);
  const why = `\n${report(uac.scenario, c)}\n${report(uas.scenario, s)}`;
  assert.equal(c.code, 0, `UAC failed${why}`);
  assert.equal(s.code, 0, `UAS failed${why}`);
  return { uas: s, uac: c };
}

describe('core-*.xml scenarios (self-test, no feature server)', function () {
  this.timeout(15000);

  describe('callers against a digest-challenging fake UAS', () => {
    it('core-call.xml: 407, retry with Proxy-Authorization (digest uri = request-URI), call, BYE', async () => {
      const { r, fake } = await callFake({ kind: 'answer' }, { scenario: 'core-call.xml' });
      passed('core-call.xml', r, fake);
      assert.equal(flow(r.events), '>INVITE <407 >ACK >INVITE <100 <180 <200 >ACK >BYE <200');
      const [first, retry] = sent(r, 'INVITE');
      const [ack407, ack200] = sent(r, 'ACK');
      const requestUri = `sip:bob@${fake.remote}`;
      assert.equal(first?.firstLine, `INVITE ${requestUri} SIP/2.0`);
      assert.match(header(first, 'From'), /^<sip:alice@127\.0\.0\.1>;tag=/);
      assert.equal(header(first, 'To'), '<sip:bob@127.0.0.1>');
      assert.match(first?.message ?? '', /\r\nc=IN IP4 127\.0\.0\.1\r\n[\s\S]*\r\nm=audio \d+ RTP\/AVP 0 8\r\n/);
      // ACK for the 407: the first INVITE's branch, CSeq 1; the retry: new branch, CSeq 2
      assert.equal(branch(ack407), branch(first));
      assert.equal(header(ack407, 'CSeq'), '1 ACK');
      assert.notEqual(branch(retry), branch(first));
      assert.equal(header(retry, 'CSeq'), '2 INVITE');
      assert.match(header(retry, 'Proxy-Authorization'), new RegExp(`^Digest username="alice",realm="127\\.0\\.0\\.1",.*uri="${requestUri}"`));
      assert.deepEqual(fake.authorized, [{ username: 'alice', uri: requestUri }]);
      // 2xx ACK and BYE in the dialog: to the Contact, through the Record-Route
      assert.equal(ack200?.firstLine, `ACK sip:fake@${fake.remote} SIP/2.0`);
      assert.equal(header(ack200, 'Route'), `<sip:${fake.remote};lr>`);
      assert.equal(header(sent(r, 'BYE')[0], 'CSeq'), '3 BYE');
    });

    it('core-call.xml without -auth_uri: the digest uri is sip:<remote_ip>:<remote_port>, refused', async () => {
      const fake = await new Challenger({ kind: 'answer' }).start();
      try {
        const r = await runSipp({
          scenario: 'core-call.xml', service: 'bob', vars: { caller: 'alice' }, auth: ALICE, timeoutSec: 8,
          localPort: await freePort('both'), remote: fake.remote,
        }).done;
        assert.equal(r.code, 1, report('core-call.xml', r));
        // (the 403 is unexpected: sipp aborts the call, and by default sends a BYE for it)
        assert.match(flow(r.events), /^>INVITE <407 >ACK >INVITE <403\b/);
        assert.deepEqual(fake.authFailures, [`digest uri sip:${fake.remote} is not the request-URI sip:bob@${fake.remote}`]);
      } finally {
        fake.close();
      }
    });

    it('core-call.xml without -set caller: exits 255 before sending anything', async () => {
      const { r } = await callFake({ kind: 'answer' }, { scenario: 'core-call.xml', vars: {} });
      assert.equal(r.code, 255, report('core-call.xml', r));
      assert.equal(r.events.length, 0);
      assert.match(r.errors, /-set caller USER/);
    });

    it('core-call-bye-received.xml: the far end hangs up', async () => {
      const { r, fake } = await callFake({ kind: 'answer-then-bye' }, { scenario: 'core-call-bye-received.xml' });
      passed('core-call-bye-received.xml', r, fake);
      assert.equal(flow(r.events), '>INVITE <407 >ACK >INVITE <100 <180 <200 >ACK <BYE >200');
    });

    it('core-cancel.xml: CANCEL on the authenticated INVITE\'s branch, 200 and 487, ACK', async () => {
      const { r, fake } = await callFake({ kind: 'ring' }, { scenario: 'core-cancel.xml' });
      passed('core-cancel.xml', r, fake);
      assert.equal(flow(r.events), '>INVITE <407 >ACK >INVITE <100 <180 >CANCEL <200 <487 >ACK');
      const retry = sent(r, 'INVITE')[1];
      const cancel = sent(r, 'CANCEL')[0];
      const ack487 = sent(r, 'ACK')[1];
      assert.equal(branch(cancel), branch(retry));
      assert.equal(header(cancel, 'CSeq'), '2 CANCEL');
      assert.equal(cancel?.firstLine, retry?.firstLine.replace(/^INVITE/, 'CANCEL'));
      assert.equal(branch(ack487), branch(retry));
      assert.equal(header(ack487, 'CSeq'), '2 ACK');
    });

    it('core-hold.xml: re-INVITEs sendonly then sendrecv, in the dialog, not challenged', async () => {
      const { r, fake } = await callFake({ kind: 'answer' }, { scenario: 'core-hold.xml' });
      passed('core-hold.xml', r, fake);
      assert.equal(flow(r.events), '>INVITE <407 >ACK >INVITE <100 <180 <200 >ACK >INVITE <200 >ACK >INVITE <200 >ACK >BYE <200');
      const offers = sent(r, 'INVITE').slice(1);
      assert.deepEqual(offers.map(direction), ['sendrecv', 'sendonly', 'sendrecv']);
      assert.deepEqual(offers.map(sdpVersion), ['2', '3', '4']);
      assert.deepEqual(offers.map((e) => header(e, 'CSeq')), ['2 INVITE', '3 INVITE', '4 INVITE']);
      assert.equal(new Set(offers.map(branch)).size, 3);
      for (const reinvite of offers.slice(1)) {
        assert.equal(reinvite.firstLine, `INVITE sip:fake@${fake.remote} SIP/2.0`);
        assert.equal(header(reinvite, 'Route'), `<sip:${fake.remote};lr>`);
        assert.match(header(reinvite, 'To'), /;tag=/);
        assert.equal(header(reinvite, 'Proxy-Authorization'), '');
      }
      const answers = unique(r.events).filter((e) => e.status === 200 && e.method === 'INVITE');
      assert.deepEqual(answers.map(direction), ['sendrecv', 'recvonly', 'sendrecv']);
    });

    for (const [status, reason] of [[486, 'Busy Here'], [433, 'Anonymity Disallowed'], [603, 'Decline']] as const) {
      it(`core-expect-final.xml: ${status} after authentication`, async () => {
        const { r, fake } = await callFake({ kind: 'reject', status, reason }, { scenario: 'core-expect-final.xml' });
        passed('core-expect-final.xml', r, fake);
        assert.equal(flow(r.events), `>INVITE <407 >ACK >INVITE <100 <${status} >ACK`);
        assert.equal(branch(sent(r, 'ACK')[1]), branch(sent(r, 'INVITE')[1]));
      });
    }

    it('core-expect-final.xml: a 200 fails it', async () => {
      const { r } = await callFake({ kind: 'answer' }, { scenario: 'core-expect-final.xml' });
      assert.equal(r.code, 1, report('core-expect-final.xml', r));
    });

    it('core-expect-final-noauth.xml: no credentials, the 407 is the final answer', async () => {
      const { r, fake } = await callFake({ kind: 'answer' }, { scenario: 'core-expect-final-noauth.xml', auth: undefined });
      passed('core-expect-final-noauth.xml', r, fake);
      assert.equal(flow(r.events), '>INVITE <407 >ACK');
      assert.equal(branch(sent(r, 'ACK')[0]), branch(sent(r, 'INVITE')[0]));
    });

    it('core-anonymous.xml: anonymous From with Privacy: id, authenticated as the real user, refused', async () => {
      const { r, fake } = await callFake({ kind: 'reject', status: 433, reason: 'Anonymity Disallowed' }, { scenario: 'core-anonymous.xml', vars: {} });
      passed('core-anonymous.xml', r, fake);
      assert.equal(flow(r.events), '>INVITE <407 >ACK >INVITE <100 <433 >ACK');
      for (const invite of sent(r, 'INVITE')) {
        assert.match(header(invite, 'From'), /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/);
        assert.equal(header(invite, 'Privacy'), 'id');
        assert.doesNotMatch(`${header(invite, 'From')} ${header(invite, 'Contact')}`, /alice/);
      }
      assert.deepEqual(fake.authorized.map((a) => a.username), ['alice']);
    });

    it('core-options.xml', async () => {
      const { r } = await callFake({ kind: 'answer' }, { scenario: 'core-options.xml', vars: {}, auth: undefined });
      passed('core-options.xml', r);
      assert.equal(flow(r.events), '>OPTIONS <200');
    });
  });

  describe('callee (phone) scenarios against the sipp UACs', () => {
    it('core-uas.xml / uac.xml', async () => {
      const r = await pair({ scenario: 'core-uas.xml' }, { scenario: 'uac.xml' });
      assert.equal(flow(r.uas.events), '<INVITE >180 >200 <ACK <BYE >200');
    });

    it('core-uas-bye.xml / uac-bye-received.xml', async () => {
      const r = await pair({ scenario: 'core-uas-bye.xml' }, { scenario: 'uac-bye-received.xml' });
      assert.equal(flow(r.uas.events), '<INVITE >180 >200 <ACK >BYE <200');
    });

    it('core-uas-busy.xml / uac-expect-486.xml', async () => {
      const r = await pair({ scenario: 'core-uas-busy.xml' }, { scenario: 'uac-expect-486.xml' });
      assert.equal(flow(r.uas.events), '<INVITE >486 <ACK');
    });

    it('core-uas-decline.xml / uac-expect-603.xml', async () => {
      const r = await pair({ scenario: 'core-uas-decline.xml' }, { scenario: 'uac-expect-603.xml' });
      assert.equal(flow(r.uas.events), '<INVITE >603 <ACK');
    });

    it('core-uas-ring.xml / uac-cancel.xml, CANCEL with and without Reason', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'core-selftest-'));
      try {
        const withReason = path.join(dir, 'uac-cancel-reason.xml');
        const original = readFileSync(path.join(SCENARIO_DIR, 'uac-cancel.xml'), 'utf8');
        const patched = original.replace('CSeq: [cseq] CANCEL', 'CSeq: [cseq] CANCEL\n      Reason: SIP;cause=200;text="Call completed elsewhere"');
        assert.notEqual(patched, original);
        writeFileSync(withReason, patched);
        for (const uac of ['uac-cancel.xml', withReason]) {
          const r = await pair({ scenario: 'core-uas-ring.xml' }, { scenario: uac });
          assert.equal(flow(r.uas.events), '<INVITE >180 <CANCEL >200 >487 <ACK');
          assert.equal(/\r\nReason: /.test(r.uas.events.find((e) => e.method === 'CANCEL')?.message ?? ''), uac === withReason);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('core-uas-hold.xml / uac-reinvite.xml: answers recvonly then sendrecv', async () => {
      const r = await pair({ scenario: 'core-uas-hold.xml' }, { scenario: 'uac-reinvite.xml' });
      assert.equal(flow(r.uas.events), '<INVITE >200 <ACK <INVITE >200 <ACK <INVITE >200 <ACK <BYE >200');
      const answers = unique(r.uas.events).filter((e) => e.dir === 'sent' && e.status === 200 && e.method === 'INVITE');
      assert.deepEqual(answers.map(direction), ['sendrecv', 'recvonly', 'sendrecv']);
      assert.deepEqual(answers.map(sdpVersion), ['1', '2', '3']);
    });
  });

  describe('registration against uas-register-auth.xml', () => {
    const registrar = { scenario: 'uas-register-auth.xml', vars: { auth_user: 'alice', auth_pass: 's3cret' } };

    for (const [scenario, vars, expires] of [
      ['core-register.xml', {}, '3600'],
      ['core-register.xml', { expires: '60' }, '60'],
      ['core-unregister.xml', {}, '0'],
    ] as const) {
      it(`${scenario}${'expires' in vars ? ' -set expires 60' : ''}: Expires ${expires}`, async () => {
        const r = await pair(registrar, { scenario, service: 'alice', auth: ALICE, vars });
        assert.equal(flow(r.uac.events), '>REGISTER <401 >REGISTER <200');
        const [first, retry] = sent(r.uac, 'REGISTER');
        for (const reg of [first, retry]) {
          assert.equal(header(reg, 'To'), '<sip:alice@127.0.0.1>');
          assert.match(header(reg, 'From'), /^<sip:alice@127\.0\.0\.1>;tag=/);
          assert.match(header(reg, 'Contact'), /^<sip:alice@127\.0\.0\.1:\d+;transport=UDP>$/);
          assert.equal(header(reg, 'Expires'), expires);
        }
        assert.equal(header(first, 'Contact'), `<sip:alice@127.0.0.1:${/:(\d+);/.exec(header(first, 'Via'))?.[1]};transport=UDP>`);
        assert.match(header(retry, 'Authorization'), /^Digest username="alice",realm="[^"]+",.*uri="sip:127\.0\.0\.1:\d+"/);
      });
    }
  });
});
