import assert from 'node:assert/strict';
import { banChanged } from '../../../lib/security';

describe('security: the ban event on the instance bus', () => {
  it('takes IPv4 and IPv6 sources with an end time, 0 for an unban', () => {
    for (const body of [{ address: '127.0.1.4', until: Date.now() + 900000 }, { address: '2001:db8::7', until: 0 }]) {
      assert.deepEqual(banChanged.body(body, 'event'), body);
    }
  });

  it('refuses a body that is not one: no address, a number for it, a negative or fractional time, an overlong address', () => {
    for (const body of [null, {}, { address: 42, until: 1 }, { address: '10.0.0.1' }, { address: '10.0.0.1', until: -1 },
      { address: '10.0.0.1', until: 1.5 }, { address: 'x'.repeat(65), until: 1 }, { address: 'a b', until: 1 }]) {
      assert.throws(() => banChanged.body(body, 'event'), JSON.stringify(body));
    }
  });
});
