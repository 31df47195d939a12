import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * A rejection nobody handles must not stop the server (issue #14): the child installs the
 * last-resort handler, lets a promise reject unhandled and throws from a timer, then
 * proves it still runs by printing after both.
 */
describe('last-resort handler', () => {
  const run = (install: boolean): Promise<{ code: number | null; out: string }> => {
    const lib = path.join(__dirname, '../../../lib/runtime/last-resort.js');
    const script = `
      const winston = require('winston');
      const logger = winston.createLogger({ transports: [new winston.transports.Console({ format: winston.format.json() })] });
      const guard = ${install} ? require(${JSON.stringify(lib)}).installLastResort(logger) : { count: () => 0 };
      Promise.reject(Object.assign(new Error('unable to find dialog'), { code: 'ENODIALOG' }));
      setTimeout(() => { throw new Error('thrown from a callback'); }, 10);
      setTimeout(() => { console.log('still serving ' + guard.count()); process.exit(0); }, 200);
    `;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { cwd: path.join(__dirname, '../../..') });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, out }));
    });
  };

  it('logs an unhandled rejection and an uncaught exception and keeps the process serving', async () => {
    const { code, out } = await run(true);
    assert.equal(code, 0, out);
    assert.match(out, /still serving 2/);
    assert.match(out, /"code":"ENODIALOG"/);
    assert.match(out, /uncaught exception: kept serving/);
  });

  it('without it, Node stops the process at the first unhandled rejection', async () => {
    const { code, out } = await run(false);
    assert.notEqual(code, 0);
    assert.doesNotMatch(out, /still serving/);
  });
});
