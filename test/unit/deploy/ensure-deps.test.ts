import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * scripts/ensure-deps.sh in a scratch checkout with a fake `npm` (and fake Debian tools,
 * so nothing is installed): a node_modules that is a symlink (a worktree sharing another
 * checkout's install) must never get `npm ci`, which would empty the folder it points to.
 */

/** the repository root; this file runs from dist/test/unit/deploy */
const ROOT = path.join(__dirname, '../../../..');

interface Run {
  npmCalls: string[];
  stderr: string;
}

function scratch(): { dir: string; bin: string; log: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ensure-deps-'));
  mkdirSync(path.join(dir, 'scripts'));
  copyFileSync(path.join(ROOT, 'scripts/ensure-deps.sh'), path.join(dir, 'scripts/ensure-deps.sh'));
  const bin = path.join(dir, 'fakebin');
  mkdirSync(bin);
  const log = path.join(dir, 'npm.log');
  const fake = (name: string, body: string): void => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  fake('npm', `echo "$*" >> '${log}'`);
  for (const tool of ['sipp', 'redis-server', 'rtpengine', 'kamailio']) fake(tool, 'exit 0');
  return { dir, bin, log };
}

function run(dir: string, bin: string, log: string): Run {
  const r = spawnSync('bash', ['scripts/ensure-deps.sh'], {
    cwd: dir,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `ensure-deps.sh failed: ${r.stderr}`);
  const npmCalls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { npmCalls, stderr: r.stderr };
}

/** a lockfile newer than the installed packages' record: the case that asks for `npm ci` */
function staleInstall(dir: string, modules: string): void {
  mkdirSync(modules, { recursive: true });
  writeFileSync(path.join(modules, '.package-lock.json'), '{}');
  writeFileSync(path.join(modules, 'keep-me'), 'shared');
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(path.join(modules, '.package-lock.json'), old, old);
  writeFileSync(path.join(dir, 'package-lock.json'), '{}');
}

describe('scripts/ensure-deps.sh', () => {
  const made: string[] = [];
  after(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it('never runs npm ci through a node_modules symlink, and says so', () => {
    const { dir, bin, log } = scratch();
    made.push(dir);
    const shared = path.join(dir, 'other-checkout-node_modules');
    staleInstall(dir, shared);
    symlinkSync(shared, path.join(dir, 'node_modules'));
    const { npmCalls: calls, stderr } = run(dir, bin, log);
    assert.ok(!calls.some((c) => /^(ci|install|i)\b/.test(c)), `npm was asked: ${calls.join(' | ')}`);
    assert.ok(calls.some((c) => c.includes('build')), 'the build still runs');
    assert.match(stderr, /node_modules is a symlink/);
    assert.ok(existsSync(path.join(shared, 'keep-me')), 'the shared install is untouched');
  });

  it('still runs npm ci when its own node_modules is out of date', () => {
    const { dir, bin, log } = scratch();
    made.push(dir);
    staleInstall(dir, path.join(dir, 'node_modules'));
    const { npmCalls } = run(dir, bin, log);
    assert.ok(npmCalls.some((c) => c.startsWith('ci')), `npm calls: ${npmCalls.join(' | ')}`);
  });
});
