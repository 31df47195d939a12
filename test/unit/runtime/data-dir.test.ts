import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirError, openDataDir } from '../../../lib/runtime/data-dir';

/** DATA_DIR (issue #15): created private, one owner, a generated token kept. */
describe('runtime: data directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'data-dir-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is created 0700 with a 0600 token that the next owner reuses', async () => {
    const dir = path.join(root, 'data');
    const first = await openDataDir(dir);
    const token = await first.apiToken();
    assert.ok(token.length >= 24);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(first.apiTokenFile).mode & 0o777, 0o600);
    await first.release();
    const second = await openDataDir(dir);
    assert.equal(await second.apiToken(), token);
    await second.release();
  });

  it('has one owner: a second open fails while the first holds it, and works after release', async () => {
    const dir = path.join(root, 'data');
    const first = await openDataDir(dir);
    await assert.rejects(openDataDir(dir), (e: Error) => e instanceof DataDirError && /in use by another feature server \(pid \d+\)/.test(e.message));
    await first.release();
    const again = await openDataDir(dir);
    await again.release();
  });

  it('takes over the lock of a server that no longer runs (kill -9)', async () => {
    const dir = path.join(root, 'data');
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    await (await openDataDir(dir)).release(); // the folder exists
    writeFileSync(path.join(dir, 'server.lock'), `${gone.pid}\n`);
    const d = await openDataDir(dir);
    assert.equal(readFileSync(path.join(dir, 'server.lock'), 'utf8').split(' ')[0].trim(), String(process.pid));
    await d.release();
  });

  it('takes over a lock whose pid now names another node process (pid reuse), not a live owner', async () => {
    const dir = path.join(root, 'data');
    await (await openDataDir(dir)).release();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => other.once('spawn', r));
      const start = readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
      // the recorded owner started at another time: whoever has its pid now is not it
      writeFileSync(path.join(dir, 'server.lock'), `${other.pid} ${Number(start) + 1}\n`);
      const d = await openDataDir(dir);
      await d.release();
      // the same pid and start time: the owner still runs
      writeFileSync(path.join(dir, 'server.lock'), `${other.pid} ${start}\n`);
      await assert.rejects(openDataDir(dir), (e: Error) => e instanceof DataDirError && new RegExp(`pid ${other.pid}`).test(e.message));
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('says which DATA_DIR it cannot use, and why', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'x');
    await assert.rejects(openDataDir(file), (e: Error) => e instanceof DataDirError && /DATA_DIR .*a-file cannot be used/.test(e.message));
  });
});
