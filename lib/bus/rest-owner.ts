import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError, CallIdSource } from '../api';
import { FORWARD_TIMEOUT_MS, restForward } from './call-ops';
import { ownerApiError, ownerErrors, toOwnerApiError, type CallOwners, type Whereabouts } from './call-owners';
import type { RequestBus } from './request-bus';

/**
 * Marks a request another instance forwarded here: it is run here, never forwarded on
 * (a record naming a third owner must not make requests go round). A client sending it
 * only keeps its request on the instance it reached.
 */
export const FORWARDED_BY_HEADER = 'x-forwarded-by-instance';

/** A route names at most this many calls (a merge names two). */
const MAX_CALL_IDS = 8;

export interface RestOwnerOptions {
  /** how long a forwarded request waits for the owner, unless its route says (RouteOptions.forwardTimeoutMs) */
  forwardTimeoutMs?: number;
}

/**
 * REST on a call owned by another instance (issue 14), in one place for every route that
 * declares its calls (RouteOptions.callIds; every `/calls/:id/...` route by convention):
 *
 *   call here, or no such call        -> the route runs here (and answers its own 404)
 *   owner running                     -> the request is run by the owner (bus op
 *                                        api.forward) and its answer is the answer
 *   owner not running (crashed)       -> 404 E_CALL_NOT_FOUND: the call ended with it
 *   owner running, no answer in time  -> 503 E_OWNER_UNAVAILABLE (it will not act later)
 *   calls on two different instances  -> 409 E_CALLS_SPLIT
 *
 * A call of a tenant the token may not see counts as no such call (the route's 404).
 */
export function forwardCallRoutes(app: FastifyInstance, owners: CallOwners, opts: RestOwnerOptions = {}): void {
  const timeoutMs = opts.forwardTimeoutMs ?? FORWARD_TIMEOUT_MS;
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const source = req.routeOptions.config?.callIds;
    if (!source || forwardedHere(req) || req.method === 'GET' || req.method === 'HEAD') return;
    const ids = callIdsIn(req, source);
    if (ids.length === 0) return;
    const found = await Promise.all(ids.map(async (id) => ({ id, w: visible(req, await owners.where(id)) })));
    const gone = found.find((f) => f.w.at === 'gone');
    if (gone && gone.w.at === 'gone') throw ownerErrors.E_CALL_NOT_FOUND(`no call ${gone.id}: it ended with its instance ${gone.w.owner}`);
    const remote = new Set(found.flatMap((f) => (f.w.at === 'owner' ? [f.w.owner] : [])));
    if (remote.size === 0) return;
    if (remote.size > 1 || found.some((f) => f.w.at === 'here')) throw ownerErrors.E_CALLS_SPLIT(`calls ${ids.join(', ')} live on different instances`);
    const [owner] = remote;
    const first = found.find((f) => f.w.at === 'owner')?.id ?? ids[0];
    let answer: { status: number; body: unknown };
    try {
      answer = await runOn(owners.bus, owner, req, req.routeOptions.config?.forwardTimeoutMs ?? timeoutMs);
    } catch (err) {
      throw toOwnerApiError(err, first);
    }
    return send(reply, answer);
  });

  owners.bus.serve(restForward, async ({ method, url, authorization, body }, { from }) => {
    if (!url.startsWith('/v1/')) throw ownerErrors.E_OWNER_FAILED('only /v1 routes are forwarded');
    const res = await app.inject({
      method, url,
      headers: { authorization, [FORWARDED_BY_HEADER]: from, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: res.statusCode, body: parseBody(res.body) };
  });
}

/** Whether this request was forwarded here by another instance (it must then be run here). */
export function forwardedHere(req: FastifyRequest): boolean {
  return req.headers[FORWARDED_BY_HEADER] !== undefined;
}

/**
 * Runs this REST request on `owner`, the instance that holds what it is about (a
 * conference: features/conference), and answers with the owner's answer. The owner runs it
 * as if it had reached it (bus op api.forward, served by forwardCallRoutes).
 */
export async function forwardTo(bus: RequestBus, owner: string, req: FastifyRequest, reply: FastifyReply,
  about: { subject: string; gone: () => ApiError }, timeoutMs = FORWARD_TIMEOUT_MS): Promise<FastifyReply> {
  try {
    return send(reply, await runOn(bus, owner, req, timeoutMs));
  } catch (err) {
    throw ownerApiError(err, about.subject, about.gone);
  }
}

function runOn(bus: RequestBus, owner: string, req: FastifyRequest, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return bus.request(owner, restForward, {
    method: req.method as 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: req.url, authorization: req.headers.authorization ?? '', body: req.body ?? undefined,
  }, { timeoutMs });
}

function send(reply: FastifyReply, answer: { status: number; body: unknown }): FastifyReply {
  void reply.code(answer.status);
  return answer.body === null ? reply.send() : reply.send(answer.body);
}

/** A call of a tenant the token may not act on is, for this request, no call at all. */
function visible(req: FastifyRequest, w: Whereabouts): Whereabouts {
  if ((w.at === 'owner' || w.at === 'gone') && !req.apiScope.allows(w.tenant)) return { at: 'nowhere' };
  return w;
}

function callIdsIn(req: FastifyRequest, source: CallIdSource): string[] {
  const bag = source.from === 'param' ? req.params : req.body;
  const value = bag !== null && typeof bag === 'object' ? (bag as Record<string, unknown>)[source.name] : undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string' && v.length > 0).slice(0, MAX_CALL_IDS);
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
