import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPort, ephemeralRange, freePort, releasePort } from '../../support/ports';

describe('test ports: free ports stay clear of the kernel ephemeral range', () => {
  it('never hands out a port an outgoing connection could take between check and bind', async () => {
    const [lo, hi] = ephemeralRange();
    const ports = new Set<number>();
    for (let i = 0; i < 100; i++) ports.add(await freePort(i % 2 ? 'udp' : 'tcp'));
    assert.equal(ports.size, 100, 'a port was handed out twice');
    for (const p of ports) {
      assert.ok(p < lo || p > hi, `port ${p} is inside the ephemeral range ${lo}-${hi}`);
      assert.ok(p < 61000 || p > 64999, `port ${p} is inside baresip's media range`);
      assert.ok(p >= 31100, `port ${p} is inside the test mixers' or rtpengine's ranges`);
    }
  });

  it('nextTcp: port + 1 (baresip SIP over TLS) is free too and never handed out to anyone else', async () => {
    const pairs: number[] = [];
    for (let i = 0; i < 50; i++) pairs.push(await freePort('both', { nextTcp: true }));
    const others = new Set<number>();
    for (let i = 0; i < 100; i++) others.add(await freePort('tcp'));
    for (const p of pairs) {
      assert.ok(!others.has(p + 1), `port ${p + 1}, baresip's TLS port of ${p}, was handed out again`);
      assert.ok(!pairs.includes(p + 1), `port ${p + 1} is both a SIP and a TLS port`);
    }
  });
});

describe('test ports: claims across processes (two suites side by side)', () => {
  const portsModule = require.resolve('../../support/ports');

  /** A second process that takes `count` ports with freePort, reports them and waits. */
  function otherSuite(count: number, opts: { stay: boolean }): Promise<{ child: ChildProcess; ports: number[] }> {
    const script = `
      const { freePort } = require(${JSON.stringify(portsModule)});
      (async () => {
        const ports = [];
        for (let i = 0; i < ${count}; i++) ports.push(await freePort(i % 2 ? 'udp' : 'tcp'));
        process.stdout.write(JSON.stringify(ports) + '\\n');
        if (${opts.stay}) process.stdin.resume(); // holds its claims until killed
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.endsWith('\n')) resolve({ child, ports: JSON.parse(out) as number[] });
      });
      child.once('exit', (code) => { if (!out.endsWith('\n')) reject(new Error(`the other suite exited with ${code}`)); });
    });
  }

  function exited(child: ChildProcess): Promise<void> {
    return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
  }

  it("never hands out a port another live process has handed out", async function () {
    this.timeout(60_000);
    // 150 ports each from about 2,200: without claims about 10 would be handed out twice.
    // (Kept small: a suite running beside this one keeps clear of all of them for minutes.)
    const other = await otherSuite(150, { stay: true });
    try {
      const theirs = new Set(other.ports);
      const clashes: number[] = [];
      for (let i = 0; i < 150; i++) {
        const p = await freePort(i % 2 ? 'tcp' : 'udp');
        if (theirs.has(p)) clashes.push(p);
      }
      assert.deepEqual(clashes, [], 'ports the other process holds were handed out again');
    } finally {
      other.child.stdin?.end(); // lets it exit, removing its claims
      await exited(other.child);
    }
  });

  it('a claim stands only while its owner lives: after kill -9 the port can be claimed at once', async function () {
    this.timeout(30_000);
    const other = await otherSuite(5, { stay: true });
    const [port] = other.ports;
    try {
      assert.equal(claimPort(port), false, "a live process's claim was taken over");
    } finally {
      other.child.kill('SIGKILL');
      await exited(other.child);
    }
    assert.equal(claimPort(port), true, "a dead process's claim still stands");
    releasePort(port);
  });

  it('a process that exits removes its claims', async function () {
    this.timeout(30_000);
    const other = await otherSuite(5, { stay: false });
    await exited(other.child);
    const dir = join(tmpdir(), `feature-server-test-ports-${process.getuid?.() ?? 'user'}`);
    const left = other.ports.filter((p) => existsSync(join(dir, String(p))));
    assert.deepEqual(left, [], 'claim files were left behind');
  });
});
