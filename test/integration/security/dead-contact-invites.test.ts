import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { coreFixture } from '../core/fixture';
import { finalStatus } from '../../support/sipp-results';

/**
 * Issue #13: a Contact registered toward an address that never answers (a fuzzer's, a
 * dead phone's) cost one INVITE per call until the first one's timer B fired. At most 4
 * are outstanding to a contact that has answered nothing lately; the other calls end 480
 * at once, without an INVITE.
 */
describe('security: at most 4 INVITEs in flight to a contact that never answered', function () {
  this.timeout(60000);
  // a ring time longer than timer B (64*T1 = 3.2 s here): the first INVITEs end on timer B
  const fx = coreFixture({ NO_ANSWER_TIMEOUT: '10' });
  let silent: dgram.Socket | undefined;
  afterEach(async () => {
    const s = silent;
    silent = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  it('10 calls at once to a silent contact: 4 INVITEs reach it, 6 calls get 480 with none', async () => {
    await fx.provision('dci-a');
    await fx.provision('dci-b');
    const port = await fx.register('dci-b');
    // the registered contact: a loopback UDP port that reads everything and answers nothing
    const callIds = new Set<string>();
    const s = dgram.createSocket('udp4');
    silent = s;
    s.on('message', (buf) => {
      const text = buf.toString('latin1');
      if (!text.startsWith('INVITE ')) return;
      const id = /^Call-ID:\s*(\S+)/im.exec(text.slice(0, 4096))?.[1];
      if (id) callIds.add(id);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve());
    });
    const calls = 10;
    const r = await fx.call('core-expect-final.xml', 'dci-a', 'dci-b', { calls, rate: 100, timeoutSec: 50, extraArgs: ['-l', String(calls)] });
    // every call ended with a final response (exit 0): 480 at once, or 408 on timer B
    assert.equal(r.code, 0, r.errors);
    assert.ok([408, 480].includes(finalStatus(r) ?? 0), `last final ${finalStatus(r)}`);
    // all calls are over: every INVITE the server sent was sent before its call ended
    assert.equal(callIds.size, 4, `INVITEs of ${callIds.size} calls reached the silent contact`);
  });
});
