import assert from 'node:assert/strict';
import { callChangeEvent, sseFrame } from '../../../lib/api/call-change';
import { MAX_LINE, SseParser, type SseEvent } from '../../../console/src/model/sse-parser';

describe('console: event stream parser', () => {
  const parse = (chunks: string[]): SseEvent[] => {
    const out: SseEvent[] = [];
    const p = new SseParser((e) => out.push(e));
    for (const c of chunks) p.push(c);
    return out;
  };

  it('reads the server\'s frames, split anywhere, and skips comments (heartbeats)', () => {
    const frame = sseFrame(callChangeEvent({ kind: 'answered', id: 'x1', tenant: 'example.com', state: 'answered', caller: 'a\nb', callee: 'c', instanceId: 'i', createdAt: 0 }), 7);
    const text = `: connected\nretry: 3000\n\n${frame}: heartbeat\n\n${frame}`;
    for (const size of [1, 3, 17, text.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const events = parse(chunks);
      assert.equal(events.length, 2, `chunks of ${size}`);
      assert.equal(events[0].event, 'call');
      assert.equal(events[0].id, '7');
      const data = JSON.parse(events[0].data) as { change: string; caller: { user: string }; createdAt: string };
      assert.deepEqual([data.change, data.caller.user, data.createdAt], ['answered', 'a\nb', '1970-01-01T00:00:00.000Z']);
    }
  });

  it('joins data lines, accepts CRLF, defaults the name to message', () => {
    assert.deepEqual(parse(['data: one\r\ndata:two\r\n\r\n']), [{ event: 'message', data: 'one\ntwo', id: undefined }]);
  });

  it('refuses a line without end rather than buffering it', () => {
    const p = new SseParser(() => undefined);
    assert.throws(() => p.push('data: '.padEnd(MAX_LINE + 10, 'x')), /over/);
  });
});
