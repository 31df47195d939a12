import assert from 'node:assert/strict';
import { MAX_REGISTRATION_ROWS, registrationRows, REGISTRATIONS_MIN_GAP_MS, REGISTRATIONS_REFRESH_MS, REGISTRATIONS_TOPICS, type RegistrationsView } from '../../../console/src/model/registrations-model';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

describe('console: registrations model', () => {
  it('one row per binding, users in order, with the time left and where it registered from', () => {
    const list: RegistrationsView = { registrations: [
      { user: 'bob', bindings: [{ contact: 'sip:bob@192.0.2.2:5060', expiresAt: at(95_000), received: 'udp:192.0.2.2:5060', userAgent: 'Phone 1' }] },
      { user: 'alice', bindings: [{ contact: 'sip:alice@192.0.2.1:5060', expiresAt: at(3_600_000) }, { contact: 'sip:alice@192.0.2.9:5062', expiresAt: at(30_000) }] },
    ] };
    const { rows, total, truncated } = registrationRows(list, T0);
    assert.deepEqual(rows.map((r) => [r.user, r.contact, r.expiresIn]), [
      ['alice', 'sip:alice@192.0.2.1:5060', '1:00:00'], ['alice', 'sip:alice@192.0.2.9:5062', '0:30'], ['bob', 'sip:bob@192.0.2.2:5060', '1:35'],
    ]);
    assert.deepEqual([rows[2].received, rows[2].userAgent, rows[0].received], ['udp:192.0.2.2:5060', 'Phone 1', '']);
    assert.deepEqual([total, truncated], [3, false]);
    assert.equal(registrationRows(list, T0 + 40_000).rows[1].expiresIn, '0:00', 'never negative');
  });

  it('shows a bounded number of rows and says so', () => {
    const list: RegistrationsView = { registrations: Array.from({ length: MAX_REGISTRATION_ROWS + 3 }, (_, i) => ({ user: `u${i}`, bindings: [{ contact: `sip:u${i}@h`, expiresAt: at(60_000) }] })) };
    const r = registrationRows(list, T0);
    assert.deepEqual([r.rows.length, r.total, r.truncated], [MAX_REGISTRATION_ROWS, MAX_REGISTRATION_ROWS + 3, true]);
    assert.deepEqual(registrationRows(undefined, T0).rows, []);
  });

  it('follows registration.changed, at most once per 2 s, and polls slowly for bindings that expire', () => {
    assert.deepEqual([...REGISTRATIONS_TOPICS], ['registration.changed']);
    assert.ok(REGISTRATIONS_MIN_GAP_MS >= 1_000);
    assert.ok(REGISTRATIONS_REFRESH_MS >= 10_000, 'no polling faster than every few seconds');
  });
});
