import assert from 'node:assert/strict';
import { LocalMediaSession } from '../../../lib/media';

describe('LocalMediaSession: an embedded media server session', () => {
  function session(answer: (sdp: string) => Promise<void> | void = () => undefined): { s: LocalMediaSession; log: string[] } {
    const log: string[] = [];
    const s = new LocalMediaSession('v=0 offer', {
      answer: async (sdp) => {
        log.push(`answer ${sdp}`);
        await answer(sdp);
      },
      close: () => void log.push('close'),
    });
    return { s, log };
  }

  it('offered -> answered -> released: the answer is applied once, the close runs once', async () => {
    const { s, log } = session();
    assert.equal(s.serverSdp, 'v=0 offer');
    await s.answer('a');
    await assert.rejects(s.answer('b'), /running: no answer expected/);
    await s.release();
    await s.release();
    assert.deepEqual(log, ['answer a', 'close']);
    assert.equal(s.ended, true);
  });

  it('a release while the answer is applied closes again after it and fails the answer', async () => {
    let release: () => void = () => undefined;
    const { s, log } = session(() => new Promise<void>((r) => (release = r)));
    const answering = s.answer('a');
    await new Promise((r) => setImmediate(r));
    await s.release();
    release();
    await assert.rejects(answering, /released while answering/);
    assert.deepEqual(log, ['answer a', 'close', 'close']);
  });

  it('gone: the server ends it, whoever holds it is told once; nothing is told after a release', async () => {
    const { s, log } = session();
    let told = 0;
    s.onGone(() => told++);
    await s.answer('a');
    await s.gone();
    await s.gone();
    assert.equal(told, 1);
    assert.deepEqual(log, ['answer a', 'close']);
    const other = session().s;
    let late = 0;
    other.onGone(() => late++);
    await other.release();
    await other.gone();
    assert.equal(late, 0);
  });
});
