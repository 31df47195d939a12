import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { Binding, BindingInput, RegistrationRepository, UserRepository } from '../store';
import { parseAddress } from '../sip/addresses';
import { addressParts, headerParam, splitAddressList } from '../sip/name-addr';
import type { DigestAuth } from '../sip/digest-auth';
import { respond } from '../sip/respond';

export interface RegistrarDeps {
  users: UserRepository;
  registrations: RegistrationRepository;
  digest: DigestAuth;
  logger: Logger;
  minExpires: number;
  maxExpires: number;
}

const DEFAULT_EXPIRES = 3600;

/**
 * The registrar (RFC 3261 10.3, call flow "Register"): REGISTER -> 401 -> REGISTER with
 * credentials -> 200 listing every current binding. Bindings live in Redis with their
 * expiry; the address the REGISTER really came from is kept for NAT traversal.
 */
export function createRegistrar(deps: RegistrarDeps) {
  return async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
    const aor = parseAddress(req.get('To'));
    if (!aor || !aor.user) {
      respond(res, 400, 'Bad Request - To is not a SIP AOR');
      return;
    }
    const tenant = aor.host;
    const log = deps.logger.child({ tenant, user: aor.user, callId: req.get('Call-ID') });
    // RFC 3261 10.3 steps 3-6: authenticate, then the user may only change its own AOR
    const { outcome, username } = await deps.digest.check(req.get('Authorization'), tenant, 'REGISTER',
      async (user) => (user === aor.user ? (await deps.users.credentials(tenant, user))?.ha1 : undefined));
    if (outcome === 'missing' || outcome === 'stale') {
      res.send(401, { headers: { 'WWW-Authenticate': deps.digest.challenge(tenant, outcome === 'stale') } });
      return;
    }
    if (outcome !== 'ok') {
      log.warn('registration refused: bad credentials', { username, from: `${req.source_address}:${req.source_port}` });
      respond(res, 403, 'Forbidden - Bad Credentials');
      return;
    }
    const callId = req.get('Call-ID');
    const cseq = Number(/^\s*(\d+)/.exec(req.get('CSeq'))?.[1] ?? NaN);
    const headerExpires = req.has('Expires') ? Number(req.get('Expires')) : undefined;
    const contacts = req.has('Contact') ? splitAddressList(req.get('Contact')) : [];
    let result;
    if (contacts.length === 1 && contacts[0].trim() === '*') {
      // RFC 3261 10.3 step 6: `*` only with Expires: 0
      if (headerExpires !== 0) {
        respond(res, 400, 'Bad Request - Contact * requires Expires: 0');
        return;
      }
      result = await deps.registrations.unbindAll(tenant, aor.user, { callId, cseq });
    } else if (contacts.length > 0) {
      const inputs: BindingInput[] = [];
      for (const c of contacts) {
        // one linear pass over the contact (name-addr.ts), no backtracking regular expression
        const { uri, params } = addressParts(c);
        const param = headerParam(params, 'expires');
        let expires = param !== undefined && /^\d{1,10}$/.test(param) ? Number(param) : headerExpires ?? DEFAULT_EXPIRES;
        if (!Number.isFinite(expires) || expires < 0) expires = DEFAULT_EXPIRES;
        // RFC 3261 10.3 step 7: too brief -> 423 with Min-Expires
        if (expires > 0 && expires < deps.minExpires) {
          res.send(423, { headers: { 'Min-Expires': String(deps.minExpires) } });
          return;
        }
        const instance = instanceOf(headerParam(params, '+sip.instance'));
        inputs.push({
          contact: uri, expires: Math.min(expires, deps.maxExpires), callId, cseq, instance,
          received: `${(req.protocol || 'udp').toLowerCase()}:${req.source_address}:${req.source_port}`,
          userAgent: req.get('User-Agent') || undefined,
        });
      }
      result = await deps.registrations.bind(tenant, aor.user, inputs);
    } else {
      // a query (RFC 3261 10.2.3): list the bindings
      result = { ok: true as const, bindings: await deps.registrations.lookup(tenant, aor.user) };
    }
    if (!result.ok) {
      res.send(500, { headers: { 'Retry-After': '1' } });
      return;
    }
    log.info('registration', { bindings: result.bindings.length });
    res.send(200, { headers: contactHeaders(result.bindings) });
  };
}

function contactHeaders(bindings: Binding[]): Record<string, string> {
  const headers: Record<string, string> = { Date: new Date().toUTCString() };
  if (bindings.length > 0) headers.Contact = bindings.map((b) => `<${b.contact}>;expires=${b.expires}`).join(', ');
  return headers;
}

/** RFC 5626 4.2: `+sip.instance="<urn:uuid:...>"` -> the URN. */
function instanceOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let v = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  return v || undefined;
}
