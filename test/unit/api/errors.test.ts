import assert from 'node:assert/strict';
import { ApiError, defineErrors, errors, isApiError, toApiError } from '../../../lib/api';

describe('api: error catalogue', () => {
  it('gives every platform code an HTTP status and, where one maps, a SIP status', () => {
    assert.equal(errors.E_NOT_FOUND.spec.status, 404);
    assert.equal(errors.E_NOT_FOUND.spec.sipStatus, 404);
    assert.equal(errors.E_UNAVAILABLE.spec.sipStatus, 503);
    const e = errors.E_BAD_REQUEST('nope');
    assert.ok(e instanceof ApiError);
    assert.deepEqual([e.code, e.status, e.message], ['E_BAD_REQUEST', 400, 'nope']);
    assert.equal(errors.E_CONFLICT().message, 'conflict');
    assert.equal(JSON.stringify(e), '{"code":"E_BAD_REQUEST","message":"nope"}');
  });

  it('lets features define codes, checked when defined', () => {
    const mine = defineErrors({ E_PICKUP_NOTHING_RINGING: { status: 404, sipStatus: 480, message: 'nothing to pick up' } });
    const e = mine.E_PICKUP_NOTHING_RINGING();
    assert.ok(isApiError(e, 'E_PICKUP_NOTHING_RINGING'));
    assert.equal(e.sipStatus, 480);
    assert.throws(() => defineErrors({ PARK: { status: 400, message: 'x' } }), /E_SOMETHING/);
    assert.throws(() => defineErrors({ E_X: { status: 200, message: 'x' } }), /4xx\/5xx/);
    assert.throws(() => defineErrors({ E_X: { status: 400, sipStatus: 200, message: 'x' } }), /SIP/);
  });

  it('maps anything else to E_INTERNAL', () => {
    assert.equal(toApiError(new Error('db password is hunter2')).code, 'E_INTERNAL');
    assert.equal(toApiError(new Error('x')).message, 'internal error');
    assert.equal(toApiError('a string').code, 'E_INTERNAL');
  });
});
