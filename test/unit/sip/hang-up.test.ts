import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cancelInvite, hangUp } from '../../../lib/sip/hang-up';

/** A dialog whose BYE the engine refuses: the dialog is gone there already (srf's ENODIALOG). */
function goneDialog(): { dialog: Srf.Dialog; calls: () => number } {
  let n = 0;
  const dialog = {
    destroy: () => {
      n++;
      return Promise.reject(Object.assign(new Error('Server error: unable to find dialog for dialog id provided'), { code: 'ENODIALOG' }));
    },
  } as unknown as Srf.Dialog;
  return { dialog, calls: () => n };
}

describe('calls: hangUp', () => {
  it('sends the BYE and swallows ENODIALOG: no unhandled rejection (it stopped the whole server under fuzz)', async () => {
    const unhandled: unknown[] = [];
    const listener = (err: unknown): void => {
      unhandled.push(err);
    };
    process.on('unhandledRejection', listener);
    try {
      const { dialog, calls } = goneDialog();
      hangUp(dialog);
      hangUp(undefined);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(calls(), 1);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

describe('calls: cancelInvite', () => {
  it('sends CANCEL with the Reason given, and a CANCEL that crosses the final response never throws (park and conference ring timers)', () => {
    const sent: unknown[] = [];
    const ringing = { cancel: (opts?: unknown) => sent.push(opts) } as unknown as Srf.SrfRequest;
    cancelInvite(ringing, 'SIP;cause=200;text="Call completed elsewhere"');
    cancelInvite(ringing);
    assert.deepEqual(sent, [{ headers: { Reason: 'SIP;cause=200;text="Call completed elsewhere"' } }, undefined]);
    // srf throws synchronously once the transaction is final or the engine is gone
    const answered = { cancel: () => { throw new Error('Request#cancel can only be used for uac Request'); } } as unknown as Srf.SrfRequest;
    assert.doesNotThrow(() => cancelInvite(answered));
    assert.doesNotThrow(() => cancelInvite(undefined));
  });
});
