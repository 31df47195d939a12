import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { hangUp } from '../../../lib/sip/hang-up';

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
