import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../support/ports';

/**
 * createSrf()'s disconnect() stops srf even when the engine connection is already gone
 * (a drachtio-server that died under a running server): srf's own threw there and kept
 * reconnecting, so the process never exited. A child process connects to a port nobody
 * listens on, disconnects while srf retries, and must exit by itself.
 */
describe('srf-app: disconnect with the engine gone', function () {
  this.timeout(20000);

  it('stops reconnecting: the process exits on its own', async () => {
    const port = await freePort('tcp');
    const lib = path.resolve(__dirname, '../../../lib/sip/srf-app');
    const script = `
      const { createSrf } = require(${JSON.stringify(lib)});
      const srf = createSrf();
      srf.on('error', () => undefined);
      srf.connect({ host: '127.0.0.1', port: ${port}, secret: 'x' });
      // once: srf's own disconnect() threw here (caught, as a server's shutdown catches it)
      srf.once('reconnecting', () => {
        try {
          srf.disconnect();
        } catch {}
      });
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 8000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!exited) child.kill('SIGKILL');
    assert.ok(exited, 'the process still runs 8 s after disconnect(): srf keeps reconnecting');
  });
});
