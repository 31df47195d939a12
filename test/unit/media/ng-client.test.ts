import assert from 'node:assert/strict';
import { ngLocalAddress } from '../../../lib/media/ng-client';

describe('media: the ng socket', () => {
  it('binds to loopback for an rtpengine on loopback, and to every address for one elsewhere (compose, Kubernetes)', () => {
    assert.equal(ngLocalAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(ngLocalAddress('127.0.1.5'), '127.0.0.1');
    assert.equal(ngLocalAddress('10.0.0.7'), undefined);
    assert.equal(ngLocalAddress('rtpengine'), undefined);
  });
});
