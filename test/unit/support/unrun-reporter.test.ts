import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';

describe('test runner: tests a failing hook skipped are reported', () => {
  it('lists every test that did not run and exits non-zero', async () => {
    const reporter = path.join(__dirname, '..', '..', 'support', 'unrun-reporter.js');
    const suite = path.join(__dirname, 'fixtures', 'failing-hook.suite.js');
    const mocha = require.resolve('mocha/bin/mocha.js');
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [mocha, '--no-config', '--reporter', reporter, suite], { timeout: 30000 }, (err, stdout) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
      });
    });
    assert.notEqual(code, 0, out);
    assert.match(out, /2 test\(s\) did not run/);
    assert.match(out, /- a suite with a failing hook second is skipped by the hook/);
    assert.match(out, /- a suite with a failing hook third is skipped too/);
  });
});
