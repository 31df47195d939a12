import assert from 'node:assert/strict';
import { ephemeralRange, freePort } from '../../support/ports';

describe('test ports: free ports stay clear of the kernel ephemeral range', () => {
  it('never hands out a port an outgoing connection could take between check and bind', async () => {
    const [lo, hi] = ephemeralRange();
    const ports = new Set<number>();
    for (let i = 0; i < 300; i++) ports.add(await freePort(i % 2 ? 'udp' : 'tcp'));
    assert.equal(ports.size, 300, 'a port was handed out twice');
    for (const p of ports) {
      assert.ok(p < lo || p > hi, `port ${p} is inside the ephemeral range ${lo}-${hi}`);
      assert.ok(p < 61000 || p > 64999, `port ${p} is inside baresip's media range`);
      assert.ok(p >= 31100, `port ${p} is inside the test mixers' or rtpengine's ranges`);
    }
  });

  it('nextTcp: port + 1 (baresip SIP over TLS) is free too and never handed out to anyone else', async () => {
    const pairs: number[] = [];
    for (let i = 0; i < 100; i++) pairs.push(await freePort('both', { nextTcp: true }));
    const others = new Set<number>();
    for (let i = 0; i < 200; i++) others.add(await freePort('tcp'));
    for (const p of pairs) {
      assert.ok(!others.has(p + 1), `port ${p + 1}, baresip's TLS port of ${p}, was handed out again`);
      assert.ok(!pairs.includes(p + 1), `port ${p + 1} is both a SIP and a TLS port`);
    }
  });
});
