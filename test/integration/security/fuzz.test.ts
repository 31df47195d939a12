import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Fuzzer, type FuzzResult } from '../../../bench/fuzz/fuzzer';
import { coreFixture, TENANT } from '../core/fixture';

/**
 * Issue #13: the whole feature server under a short burst of mutated SIP (bench/fuzz:
 * seeded from the sipp scenarios and RFC 4475, some with valid digest credentials), over
 * UDP and TCP, from a source address of its own; afterwards it still answers an OPTIONS,
 * /health is ok, and a registered phone's call still completes. A crash of the server
 * fails the run (it lives in this process); a crash of the engine fails the checks.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 13);

async function options(port: number): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind({ address: '127.0.0.1', port: 0 }, resolve));
  const local = s.address().port;
  const callId = `fuzz-options-${Date.now()}`;
  const msg = Buffer.from([`OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${callId};rport`,
    `From: <sip:ping@${TENANT}>;tag=1`, `To: <sip:ping@${TENANT}>`, `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Max-Forwards: 70',
    'Content-Length: 0', '', ''].join('\r\n'));
  try {
    return await new Promise<number>((resolve, reject) => {
      let tries = 0;
      const send = (): void => {
        if (tries++ >= 10) {
          reject(new Error('no final answer to OPTIONS'));
          return;
        }
        s.send(msg, port, '127.0.0.1');
        timer = setTimeout(send, 1000);
      };
      let timer = setTimeout(send, 0);
      s.on('message', (m) => {
        const status = Number(m.toString('latin1', 8, 11));
        if (status >= 200) {
          clearTimeout(timer);
          resolve(status);
        }
      });
    });
  } finally {
    s.close();
  }
}

describe('security: a fuzz smoke run against the whole server', function () {
  this.timeout(90000);
  const fx = coreFixture({}, { checkAfterEach: false });

  it('survives 3,000 mutated datagrams over UDP and 300 messages over TCP; then OPTIONS, /health and a call still work', async () => {
    const fuzzUsers = [{ user: 'fz1', password: 'pw-fz1' }, { user: 'fz2', password: 'pw-fz2' }];
    for (const u of fuzzUsers) await fx.provision(u.user, u.password);
    const base = { targetHost: '127.0.0.1', targetPort: fx.sipPort(), seed: SEED, maxMs: 40000, loopbackGuard: true };
    const udp: FuzzResult = await new Fuzzer({ ...base, sources: ['127.0.0.2'], transport: 'udp', count: 3000, rate: 600,
      auth: { share: 0.2, users: fuzzUsers, callees: ['fz1', 'fz2'], domain: TENANT } }).run();
    const tcp: FuzzResult = await new Fuzzer({ ...base, seed: SEED + 1, sources: ['127.0.0.2'], transport: 'tcp', count: 300, rate: 300 }).run();
    assert.equal(udp.sent, 3000);
    assert.ok(udp.authed > 300, `credentialed messages: ${udp.authed}`);
    assert.ok(udp.responses > 0, 'the server answered some of the fuzz');
    assert.equal(tcp.sent, 300);

    assert.equal(await options(fx.sipPort()), 200);
    const health = await fx.api('GET', '/health');
    assert.equal(health.status, 200, JSON.stringify(health.body));
    const stats = await fx.engineStats();
    assert.ok(typeof stats.dialogs === 'number', 'the engine answers /stats');

    await fx.provision('alice');
    await fx.provision('bob');
    const uas = await fx.uas('core-uas.xml', await fx.register('bob'));
    const ra = await fx.call('core-call.xml', 'alice', 'bob');
    assert.equal(ra.code, 0, ra.errors);
    assert.equal((await uas.done).code, 0);
  });
});
