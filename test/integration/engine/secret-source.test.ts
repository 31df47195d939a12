import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/ports';
import { connectSrf, disconnectSrf } from '../../support/srf-app';

/**
 * Issue #15: `sip-engine` takes its shared secret from a file or the environment, so it
 * need not be on a command line every user of the host reads in ps.
 */
const BIN = path.resolve(__dirname, '../../../../bin/sip-engine.js');

async function listening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the engine did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('engine: where sip-engine reads its secret', function () {
  this.timeout(30000);
  let dir: string;
  const children: ChildProcess[] = [];
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'engine-secret-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null) continue;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function engineWith(args: string[], env: Record<string, string>): Promise<number> {
    const adminPort = await freePort('tcp');
    const c = spawn(process.execPath, [BIN, '--sip-port', String(await freePort('both')), '--admin-port', String(adminPort), '--log-level', 'error', ...args],
      { env: { ...process.env, ...env }, stdio: 'ignore' });
    children.push(c);
    await listening(adminPort, c);
    return adminPort;
  }

  it('takes it from SIP_ENGINE_SECRET', async () => {
    const adminPort = await engineWith([], { SIP_ENGINE_SECRET: 'from-the-environment' });
    const srf = await connectSrf({ adminPort, secret: 'from-the-environment' });
    disconnectSrf(srf);
  });

  it('takes it from --secret-file', async () => {
    const file = path.join(dir, 'secret');
    writeFileSync(file, 'from-a-file\n', { mode: 0o600 });
    const adminPort = await engineWith(['--secret-file', file], { SIP_ENGINE_SECRET: '' });
    const srf = await connectSrf({ adminPort, secret: 'from-a-file' });
    disconnectSrf(srf);
  });

  it('refuses to start without one, naming all three ways', () => {
    const r = spawnSync(process.execPath, [BIN, '--sip-port', '5999'], { encoding: 'utf8', env: { ...process.env, SIP_ENGINE_SECRET: '' } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--secret, --secret-file or SIP_ENGINE_SECRET/);
    const missing = spawnSync(process.execPath, [BIN, '--secret-file', path.join(dir, 'nope')], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read --secret-file/);
  });
});
