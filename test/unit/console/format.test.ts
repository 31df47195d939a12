import assert from 'node:assert/strict';
import { apiErrorText, formatDuration } from '../../../console/src/model/format';

describe('console: durations and API errors as the page shows them', () => {
  it('m:ss under an hour, h:mm:ss from an hour on, never negative', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(59_999), '0:59');
    assert.equal(formatDuration(61_000), '1:01');
    assert.equal(formatDuration(3_599_000), '59:59');
    assert.equal(formatDuration(3_600_000), '1:00:00');
    assert.equal(formatDuration(36_061_000), '10:01:01');
    assert.equal(formatDuration(-5_000), '0:00', 'a clock behind the server shows no negative time');
  });

  it("the API's message with its code; a message alone; anything else by the status", () => {
    assert.equal(apiErrorText(404, { code: 'E_CONF_NOT_FOUND', message: 'no conference 1' }), 'no conference 1 (E_CONF_NOT_FOUND)');
    assert.equal(apiErrorText(400, { message: 'bad slot' }), 'bad slot');
    assert.equal(apiErrorText(502, { message: '' }), 'the server answered 502');
    assert.equal(apiErrorText(503, 'Service Unavailable'), 'the server answered 503');
    assert.equal(apiErrorText(500, null), 'the server answered 500');
  });
});
