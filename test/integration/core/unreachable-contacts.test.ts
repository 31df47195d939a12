import assert from 'node:assert/strict';
import { finalStatus } from '../../support/sipp-results';
import { coreFixture } from './fixture';

describe('core: a contact that answers nothing is not rung again for a while', function () {
  this.timeout(40000);
  // a no-answer timer longer than timer B (64*T1 = 3.2 s here): the first call ends on timer B
  const fx = coreFixture({ NO_ANSWER_TIMEOUT: '10' });

  it('first call 408 after timer B; the next one 480 at once, and the silent phone gets no second INVITE', async () => {
    await fx.provision('sil-a');
    await fx.provision('sil-b');
    const port = await fx.register('sil-b');
    // a phone that takes the INVITE and never answers anything (not even 100 Trying); it
    // would take a second call too (-m 2)
    const phone = await fx.uas('uas-silent.xml', port, { calls: 2, timeoutSec: 60 });
    const first = await fx.call('core-expect-final.xml', 'sil-a', 'sil-b');
    // RFC 3261 17.1.1.2: timer B; drachtio-server takes sipp's silence the same way
    assert.equal(finalStatus(first), 408, first.errors);
    const second = await fx.call('core-expect-final.xml', 'sil-a', 'sil-b');
    // without the record: a second INVITE, and 408 again after timer B
    assert.equal(finalStatus(second), 480, second.errors);
    const r = await phone.kill();
    const invites = new Set(r.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined)
      .map((e) => /^Call-ID:\s*(.+)$/mi.exec(e.message)?.[1]?.trim()));
    assert.equal(invites.size, 1, `the silent phone got INVITEs of ${invites.size} calls`);
  });
});
