import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killStale, pidfilePath, withParentDeathSignal, writePidfile } from '../../../lib/runtime/child-guard';
import { running } from '../../support/processes';

/** Children that never outlive the server (issue #14): parent-death signal and pidfiles. */

const GUARD = path.join(__dirname, '../../../lib/runtime/child-guard.js');

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runtime: child guard', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'child-guard-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a child started through it dies when its parent is killed with SIGKILL', async () => {
    const guarded = withParentDeathSignal('sleep', ['60']);
    if (guarded.command === 'sleep') {
      // no setpriv on this host: started plainly, the pidfiles are the only guard
      assert.deepEqual(guarded.args, ['60']);
      return;
    }
    // a parent that starts `sleep` the guarded way and prints its pid
    const script = `const { spawn } = require('node:child_process'); const g = require(${JSON.stringify(GUARD)});
      const c = g.withParentDeathSignal('sleep', ['60']); const p = spawn(c.command, c.args, { stdio: 'ignore' });
      process.stdout.write(String(p.pid) + '\\n'); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await until('sleep running', 5000, () => running(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'));
    parent.kill('SIGKILL');
    await until('sleep gone with its parent', 5000, () => !running(pid));
  });

  it('a restart kills the child an earlier run recorded, only if it is still that program', async () => {
    const stale = spawn('sleep', ['60'], { stdio: 'ignore' });
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await writePidfile(dir, 'redis-server', stale.pid, 'sleep');
      assert.equal(await killStale(dir, 'redis-server'), stale.pid);
      await until('stale child gone', 5000, () => !running(stale.pid ?? -1));
      assert.ok(!existsSync(pidfilePath(dir, 'redis-server')), 'the pidfile is removed');
      // a recorded pid now used by another process (pid reuse) is left alone: the same
      // program started at another time, and (a pidfile without a start time, as older
      // versions wrote them) another program
      writeFileSync(pidfilePath(dir, 'rtpengine'), JSON.stringify({ pid: other.pid, mark: 'sleep', start: '1' }));
      assert.equal(await killStale(dir, 'rtpengine'), undefined);
      writeFileSync(pidfilePath(dir, 'rtpengine'), JSON.stringify({ pid: other.pid, mark: 'rtpengine' }));
      assert.equal(await killStale(dir, 'rtpengine'), undefined);
      assert.ok(running(other.pid ?? -1));
    } finally {
      stale.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
