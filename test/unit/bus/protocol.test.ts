import assert from 'node:assert/strict';
import { MAX_MESSAGE_BYTES, ProtocolError } from '../../../lib/bus';
import { decode, encode } from '../../../lib/bus/protocol';

const request = { kind: 'request', id: 'r1', op: 'call.hangup', args: { callId: 'c1' }, from: 'fs-1', to: 'fs-2', deadline: 1 };

describe('bus protocol', () => {
  it('decodes the three kinds of message', () => {
    assert.deepEqual(decode(JSON.stringify(request)), request);
    const reply = { kind: 'reply', id: 'r1', from: 'fs-2', to: 'fs-1', result: { found: true } };
    assert.deepEqual(decode(JSON.stringify(reply)), reply);
    const failed = { kind: 'reply', id: 'r1', from: 'fs-2', to: 'fs-1', error: { code: 'E_CALL_NOT_FOUND', message: 'gone', status: 404 } };
    assert.deepEqual(decode(JSON.stringify(failed)), failed);
    const event = { kind: 'event', id: 'e1', op: 'park.slot', args: null, from: 'fs-2', to: '*' };
    assert.deepEqual(decode(JSON.stringify(event)), event);
  });

  it('refuses malformed messages with a ProtocolError, and says whom to tell when it can', () => {
    const cases: Array<[string, RegExp, boolean]> = [
      ['not json', /not JSON/, false],
      ['[1]', /not an object/, false],
      ['null', /not an object/, false],
      [JSON.stringify({ ...request, kind: 'nope' }), /kind must be one of/, false],
      [JSON.stringify({ ...request, op: undefined }), /op must be a string/, true],
      [JSON.stringify({ ...request, op: 'a b' }), /op has characters/, true],
      [JSON.stringify({ ...request, args: undefined }), /args is missing/, true],
      [JSON.stringify({ ...request, deadline: 'soon' }), /deadline must be an integer/, true],
      [JSON.stringify({ ...request, extra: 1 }), /unknown field 'extra'/, true],
      [JSON.stringify({ ...request, from: 'a\nb' }), /from has characters/, false],
      [JSON.stringify({ ...request, id: {} }), /id must be a string/, false],
      [JSON.stringify({ kind: 'reply', id: 'r', from: 'a', to: 'b' }), /exactly one of result and error/, false],
      [JSON.stringify({ kind: 'reply', id: 'r', from: 'a', to: 'b', result: 1, error: { code: 'E', message: '' } }), /exactly one/, false],
      [JSON.stringify({ kind: 'reply', id: 'r', from: 'a', to: 'b', error: { code: 'E' } }), /error\.message must be a string/, false],
      [JSON.stringify({ kind: 'event', id: 'e', op: 'x', args: 1, from: 'a', to: 'fs-1' }), /to must be one of \*/, false],
    ];
    for (const [raw, re, replyable] of cases) {
      assert.throws(() => decode(raw), (err: unknown) => {
        assert.ok(err instanceof ProtocolError, raw);
        assert.match(err.message, re, raw);
        assert.equal(err.replyTo !== undefined, replyable, `replyTo for ${raw}`);
        return true;
      });
    }
  });

  it(`caps a message at ${MAX_MESSAGE_BYTES} bytes on both ends (UTF-8 bytes, not characters)`, () => {
    const fits = { ...request, args: { pad: 'x'.repeat(MAX_MESSAGE_BYTES - 200) } };
    assert.deepEqual(decode(encode(fits as never)), fits);
    const big = { ...request, args: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) } };
    assert.throws(() => encode(big as never), /over the 16384-byte cap/);
    assert.throws(() => decode(JSON.stringify(big)), /over the 16384-byte cap/);
    // 6,000 three-byte characters: 18,000 bytes in 6,000 UTF-16 units
    const wide = JSON.stringify({ ...request, args: { pad: '\u20ac'.repeat(6000) } });
    assert.ok(wide.length < MAX_MESSAGE_BYTES);
    assert.throws(() => decode(wide), /cap/);
  });
});
