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

/**
 * scripts/build-stamp.sh (issue #15: every start rebuilt with tsc): a build of exactly
 * these sources is recognised, any change to a source, tsconfig or the lockfile is not.
 */
describe('scripts/build-stamp.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'build-stamp-'));
    mkdirSync(path.join(dir, 'scripts'));
    copyFileSync(path.join(ROOT, 'scripts/build-stamp.sh'), path.join(dir, 'scripts/build-stamp.sh'));
    copyFileSync(path.join(ROOT, 'scripts/ensure-deps.sh'), path.join(dir, 'scripts/ensure-deps.sh'));
    mkdirSync(path.join(dir, 'lib'));
    mkdirSync(path.join(dir, 'dist'));
    for (const f of ['main.ts', 'lib/a.ts', 'tsconfig.json', 'package.json', 'package-lock.json', 'dist/main.js']) writeFileSync(path.join(dir, f), '{}');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const check = (): number | null => spawnSync('bash', ['scripts/build-stamp.sh', 'check'], { cwd: dir }).status;

  it('says a build is current until a source changes', () => {
    assert.equal(check(), 1, 'no stamp yet');
    assert.equal(spawnSync('bash', ['scripts/build-stamp.sh', 'write'], { cwd: dir }).status, 0);
    assert.equal(check(), 0);
    writeFileSync(path.join(dir, 'lib/a.ts'), 'export const changed = 1;');
    assert.equal(check(), 1, 'a changed source');
    spawnSync('bash', ['scripts/build-stamp.sh', 'write'], { cwd: dir });
    writeFileSync(path.join(dir, 'package-lock.json'), '{"changed":true}');
    assert.equal(check(), 1, 'a changed lockfile');
  });

  it('lets ensure-deps.sh skip the build when it is current', () => {
    const bin = path.join(dir, 'fakebin');
    mkdirSync(bin);
    const log = path.join(dir, 'npm.log');
    writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "$*" >> '${log}'\n`);
    chmodSync(path.join(bin, 'npm'), 0o755);
    for (const tool of ['sipp', 'redis-server', 'rtpengine', 'kamailio']) {
      writeFileSync(path.join(bin, tool), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(bin, tool), 0o755);
    }
    mkdirSync(path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'node_modules/.package-lock.json'), '{}');
    spawnSync('bash', ['scripts/build-stamp.sh', 'write'], { cwd: dir });
    const { npmCalls, stderr } = run(dir, bin, log);
    assert.deepEqual(npmCalls, [], 'neither npm ci nor a build');
    assert.match(stderr, /build is up to date/);
    writeFileSync(path.join(dir, 'lib/a.ts'), 'export const changed = 2;');
    assert.ok(run(dir, bin, log).npmCalls.some((c) => c.includes('build')), 'a changed source is built');
  });
});
