import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import winston from 'winston';
import { Admission } from '../../../lib/routing/admission';

/** A response that records what was sent (respond() passes status, reason, options). */
function fakeRes(): { res: Srf.SrfResponse; sent: Array<{ status: number; reason?: string; headers?: Record<string, string> }> } {
  const sent: Array<{ status: number; reason?: string; headers?: Record<string, string> }> = [];
  const res = {
    finalResponseSent: false,
    send(status: number, reason?: unknown, opts?: { headers?: Record<string, string> }) {
      const r = typeof reason === 'string' ? reason : undefined;
      const o = typeof reason === 'object' ? reason as { headers?: Record<string, string> } : opts;
      sent.push({ status, reason: r, headers: o?.headers });
      this.finalResponseSent = true;
    },
  };
  return { res: res as unknown as Srf.SrfResponse, sent };
}

const req = { get: () => 'call-id' } as unknown as Srf.SrfRequest;
const logger = winston.createLogger({ silent: true });

describe('admission (overload control)', () => {
  it('answers 503 with Retry-After once the limit of requests in progress is reached, and admits again after', async () => {
    const admission = new Admission(2, logger);
    const release: Array<() => void> = [];
    const guarded = admission.guard('INVITE', () => new Promise<void>((resolve) => release.push(resolve)));
    guarded(req, fakeRes().res);
    guarded(req, fakeRes().res);
    const third = fakeRes();
    guarded(req, third.res);
    assert.equal(third.sent[0]?.status, 503);
    assert.equal(third.sent[0]?.headers?.['Retry-After'], '5');
    assert.equal(admission.pending, 2);
    assert.equal(admission.rejected, 1);
    release.forEach((r) => r());
    await new Promise((r) => setImmediate(r));
    assert.equal(admission.pending, 0);
    const fourth = fakeRes();
    guarded(req, fourth.res);
    assert.equal(fourth.sent.length, 0, 'admitted: the handler answers, not the gate');
  });

  it('answers 500 when a handler fails or throws, and frees its place', async () => {
    const admission = new Admission(1, logger);
    const failing = fakeRes();
    admission.guard('REGISTER', () => Promise.reject(new Error('redis timeout')))(req, failing.res);
    await new Promise((r) => setImmediate(r));
    assert.equal(failing.sent[0]?.status, 500);
    const throwing = fakeRes();
    admission.guard('REGISTER', () => {
      throw new Error('sync');
    })(req, throwing.res);
    await new Promise((r) => setImmediate(r));
    assert.equal(throwing.sent[0]?.status, 500);
    assert.equal(admission.pending, 0);
  });
});
