import assert from 'node:assert/strict';
import { TransferRun } from '../../../features/transfer/transfer-state';

describe('transfer run', () => {
  it('a hang-up before the target is called still cancels it: onAbort after abort runs at once', () => {
    const run = new TransferRun('blind', 'c', 'calling');
    run.abort();
    let cancelled = 0;
    run.onAbort(() => cancelled++);
    assert.equal(cancelled, 1);
    assert.equal(run.isAborted, true);
  });

  it('onAbort before abort runs once, on abort', () => {
    const run = new TransferRun('blind', 'c', 'calling');
    let cancelled = 0;
    run.onAbort(() => cancelled++);
    assert.equal(cancelled, 0);
    run.abort();
    run.abort();
    assert.equal(cancelled, 1);
  });
});
