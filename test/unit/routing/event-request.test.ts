import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { authenticateEventRequest, eventType, type EventRouterDeps } from '../../../lib/routing/event-request';

const logger = { child: () => logger, info: () => undefined, warn: () => undefined } as unknown as Logger;

/** deps whose authentication says the credentials are `as`'s (undefined: it answered 407 itself) */
function deps(as: string | undefined): EventRouterDeps {
  return { logger, auth: { authenticate: async () => as }, users: {}, features: {} } as unknown as EventRouterDeps;
}

function request(from: string, uri: string, event?: string) {
  const sent: Array<{ status: number; reason?: string }> = [];
  const headers: Record<string, string | undefined> = { From: from, Event: event, 'Call-ID': 'c1' };
  const req = { uri, get: (h: string) => headers[h] } as unknown as Srf.SrfRequest;
  const res = { send: (status: number, reason?: string) => sent.push({ status, reason }) } as unknown as Srf.SrfResponse;
  return { req, res, sent };
}

describe('routing: event requests (SUBSCRIBE and PUBLISH)', () => {
  it('names the package without its parameters (RFC 6665 8.2.1)', () => {
    assert.equal(eventType('presence;id=3'), 'presence');
    assert.equal(eventType(' presence.winfo '), 'presence.winfo');
    assert.equal(eventType(undefined), '');
  });

  it('hands on the tenant, the authenticated user, the target and the package', async () => {
    const r = request('<sip:alice@example.com>;tag=1', 'sip:bob@example.com', 'presence;id=1');
    assert.deepEqual(await authenticateEventRequest(r.req, r.res, deps('alice')),
      { tenant: 'example.com', user: 'alice', target: 'bob', event: 'presence' });
    assert.deepEqual(r.sent, []);
  });

  it('403 when the From user is not the one whose credentials were given', async () => {
    const r = request('<sip:alice@example.com>;tag=1', 'sip:bob@example.com', 'presence');
    assert.equal(await authenticateEventRequest(r.req, r.res, deps('mallory')), undefined);
    assert.deepEqual(r.sent.map((s) => s.status), [403]);
  });

  it('400 for an unreadable From; nothing more when authentication answered', async () => {
    const bad = request('garbage', 'sip:bob@example.com', 'presence');
    assert.equal(await authenticateEventRequest(bad.req, bad.res, deps('alice')), undefined);
    assert.deepEqual(bad.sent.map((s) => s.status), [400]);
    const challenged = request('<sip:alice@example.com>;tag=1', 'sip:bob@example.com', 'presence');
    assert.equal(await authenticateEventRequest(challenged.req, challenged.res, deps(undefined)), undefined);
    assert.deepEqual(challenged.sent, []);
  });
});
